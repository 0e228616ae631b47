import type { Command } from 'commander';
import { viewInitialToken } from '../../admin/registration-tokens.js';
import { CLI_ACTOR, CliError, print, withApp } from '../context.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "3600", "30m", "12h", "7d" → seconds; "never" → null. */
export function parseDuration(value: string): number | null {
  if (value === 'never') return null;
  const m = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!m?.[1]) throw new CliError(`--expires-in: "${value}" is not a duration (e.g. 3600, 30m, 12h, 7d, never)`);
  return Number(m[1]) * (UNITS[m[2] || 's'] ?? 1);
}

function parseUses(value: string): number | null {
  if (value === 'unlimited') return null;
  if (!/^\d+$/.test(value)) throw new CliError(`--uses: "${value}" is not a whole number (or "unlimited")`);
  return Number(value);
}

/** `latchkey registration-token create|list|revoke`: initial access tokens for RFC 7591 registration. */
export function registerRegistrationTokenCommands(program: Command): void {
  const cmd = program
    .command('registration-token')
    .description('initial access tokens that let a client register itself while LATCHKEY_REGISTRATION_MODE=token');

  cmd
    .command('create')
    .description('create an initial access token; prints it once')
    .option('--label <text>', 'what the token is for (shown in lists and the audit log)')
    .option('--uses <n>', 'registrations it admits, or "unlimited"', '1')
    .option('--expires-in <duration>', 'lifetime: seconds or 30m, 12h, 7d; or "never"', '7d')
    .option('--json', 'print JSON')
    .action(async (o: { label?: string; uses: string; expiresIn: string; json?: boolean }) => {
      const maxUses = parseUses(o.uses);
      const expiresIn = parseDuration(o.expiresIn);
      await withApp(async (app) => {
        const { tokens } = app.registration;
        const { token, secret } = await tokens.create({ label: o.label ?? '', maxUses, expiresIn }, CLI_ACTOR);
        const view = viewInitialToken(token, app.clock.now());
        print({ ...view, token: secret }, o.json === true, () =>
          [
            `initial access token: ${secret}`,
            `id:                   ${token.id}`,
            `uses:                 ${token.maxUses ?? 'unlimited'}`,
            `expires:              ${view.expires_at ?? 'never'}`,
            'The token is shown only now. The client sends it as "Authorization: Bearer <token>" when it registers.',
          ].join('\n'),
        );
      });
    });

  cmd
    .command('list')
    .description('list initial access tokens that can still be used')
    .option('--all', 'include revoked, expired and used-up tokens')
    .option('--json', 'print JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      await withApp(async (app) => {
        const { tokens } = app.registration;
        const now = app.clock.now();
        const items = (await tokens.list(o.all === true)).map((t) => viewInitialToken(t, now));
        print({ items }, o.json === true, () =>
          items.length === 0
            ? 'no registration tokens'
            : items.map((t) => `${t.id}  ${t.state.padEnd(7)}  uses ${t.uses}/${t.max_uses ?? '∞'}  expires ${t.expires_at ?? 'never'}  ${t.label}`).join('\n'),
        );
      });
    });

  cmd
    .command('revoke <id>')
    .description('revoke an initial access token so it admits no further registration')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const { tokens } = app.registration;
        const token = await tokens.revoke(id, CLI_ACTOR);
        print(viewInitialToken(token, app.clock.now()), o.json === true, () => `revoked ${token.id}`);
      });
    });
}
