import type { Command } from 'commander';
import { viewPat, viewPats } from '../../admin/personal-access-tokens.js';
import { PAT_SCOPES, parseLifetime } from '../../core/tokens/personal-access-tokens.js';
import { CLI_ACTOR, CliError, collect, print, withApp } from '../context.js';

/** `latchkey token create|list|revoke`: personal access tokens, the operator acting for a named user. */
export function registerTokenCommands(program: Command): void {
  const cmd = program.command('token').description('personal access tokens of users (the value is shown once, at creation)');

  cmd
    .command('create')
    .description('create a personal access token for a user; prints it once')
    .requiredOption('--user <username>', 'the user the token acts for')
    .requiredOption('--name <text>', 'what the token is for (shown in lists and the audit log)')
    .option('--scope <scope>', `a scope (repeat): ${PAT_SCOPES.join(', ')}`, collect, [])
    .option('--expires-in <duration>', 'lifetime: 90d, 12h, 30m or seconds; default: LATCHKEY_PAT_DEFAULT_LIFETIME')
    .option('--json', 'print JSON')
    .action(async (o: { user: string; name: string; scope: string[]; expiresIn?: string; json?: boolean }) => {
      const scopes = o.scope.flatMap((s) => s.split(/[ ,]+/)).filter((s) => s !== '');
      if (scopes.length === 0) throw new CliError(`give at least one --scope (${PAT_SCOPES.join(', ')})`);
      let expiresInMs: number | undefined;
      if (o.expiresIn !== undefined) {
        expiresInMs = parseLifetime(o.expiresIn);
        if (expiresInMs === undefined) throw new CliError(`--expires-in: "${o.expiresIn}" is not a lifetime (e.g. 90d, 12h, 30m, 3600)`);
      }
      await withApp(async (app) => {
        const owner = await app.stores.users.findByUsername(o.user);
        if (!owner) throw new CliError(`no user "${o.user}"`);
        const { value, token } = await app.pats.create(
          owner,
          { name: o.name, scopes, ...(expiresInMs !== undefined ? { expiresInMs } : {}) },
          { name: CLI_ACTOR.name, source: CLI_ACTOR.source },
        );
        const view = viewPat(token, owner.username, app.clock.now());
        print({ ...view, token: value }, o.json === true, () =>
          [
            `personal access token: ${value}`,
            `id:                    ${token.id}`,
            `user:                  ${owner.username}`,
            `scopes:                ${token.scopes.join(' ')}`,
            `expires:               ${view.expires_at}`,
            'The token is shown only now. Send it as "Authorization: Bearer <token>" (or "Token <token>").',
          ].join('\n'),
        );
      });
    });

  cmd
    .command('list')
    .description('list personal access tokens (never their values)')
    .option('--user <username>', "only this user's tokens")
    .option('--all', 'include revoked and expired tokens')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (o: { user?: string; all?: boolean; limit: string; json?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliError('--limit: a whole number from 1 to 10000');
      await withApp(async (app) => {
        let userId: string | undefined;
        if (o.user !== undefined) {
          const owner = await app.stores.users.findByUsername(o.user);
          if (!owner) throw new CliError(`no user "${o.user}"`);
          userId = owner.id;
        }
        const now = app.clock.now();
        const r = await app.pats.list({ ...(userId !== undefined ? { userId } : {}), ...(o.all === true ? {} : { activeAt: now }), limit, offset: 0 });
        const items = await viewPats(r.items, app.stores.users, now);
        print({ items, total: r.total }, o.json === true, () =>
          items.length === 0
            ? 'no personal access tokens'
            : items
                .map(
                  (t) =>
                    `${t.id}  ${t.status.padEnd(7)}  ${(t.username ?? '?').padEnd(16)}  ${t.scopes.join(',').padEnd(22)}  expires ${t.expires_at}  last used ${t.last_used_at ?? 'never'}  ${t.name}`,
                )
                .join('\n'),
        );
      });
    });

  cmd
    .command('revoke <id>')
    .description('revoke a personal access token; it stops working at once on every instance')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const token = await app.pats.revoke(id, { name: CLI_ACTOR.name, source: CLI_ACTOR.source });
        const [view] = await viewPats([token], app.stores.users, app.clock.now());
        print(view, o.json === true, () => `revoked ${token.id}`);
      });
    });
}
