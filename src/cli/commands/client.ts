import type { Command } from 'commander';
import { viewClient } from '../../admin/client-admin.js';
import { CLI_ACTOR, CliError, collect, print, withApp } from '../context.js';

interface ClientOptions {
  type?: string;
  name?: string;
  secret?: string;
  generateSecret?: boolean;
  public?: boolean;
  requirePkce?: boolean;
  redirectUri?: string[];
  postLogoutRedirectUri?: string[];
  grantType?: string[];
  responseType?: string[];
  callbackUrl?: string;
  rsaPublicKeyFile?: string;
  json?: boolean;
}

async function toInput(o: ClientOptions): Promise<Record<string, unknown>> {
  const input: Record<string, unknown> = {};
  if (o.type !== undefined) input.type = o.type;
  if (o.name !== undefined) input.name = o.name;
  if (o.secret !== undefined) input.secret = o.secret;
  if (o.public) input.public = true;
  if (o.requirePkce) input.require_pkce = true;
  if (o.redirectUri) input.redirect_uris = o.redirectUri;
  if (o.postLogoutRedirectUri) input.post_logout_redirect_uris = o.postLogoutRedirectUri;
  if (o.grantType) input.grant_types = o.grantType;
  if (o.responseType) input.response_types = o.responseType;
  if (o.callbackUrl !== undefined) input.callback_url = o.callbackUrl;
  if (o.rsaPublicKeyFile !== undefined) {
    const { readFile } = await import('node:fs/promises');
    input.rsa_public_key = await readFile(o.rsaPublicKeyFile, 'utf8').catch(() => {
      throw new CliError(`cannot read ${o.rsaPublicKeyFile}`);
    });
  }
  return input;
}

function settingOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'client (consumer) name')
    .option('--secret <secret>', 'chosen secret (at least 16 characters); generated when omitted')
    .option('--redirect-uri <uri>', 'redirect URI (repeatable)', collect)
    .option('--post-logout-redirect-uri <uri>', 'OIDC post-logout redirect URI (repeatable)', collect)
    .option('--grant-type <type>', 'grant type (repeatable)', collect)
    .option('--response-type <type>', 'response type, e.g. "code id_token" (repeatable)', collect)
    .option('--callback-url <url>', 'OAuth 1.0a callback URL, or oob')
    .option('--rsa-public-key-file <file>', 'OAuth 1.0a RSA public key (PEM) for RSA-SHA1')
    .option('--require-pkce', 'require PKCE from this confidential client')
    .option('--json', 'print JSON');
}

export function registerClientCommands(program: Command): void {
  const client = program.command('client').description('manage client keys');

  settingOptions(
    client
      .command('create')
      .description('create a client key (pending until approved); prints the secret once')
      .requiredOption('--type <type>', 'oauth1, oauth2 or oidc')
      .option('--public', 'public client (no secret, PKCE required)'),
  ).action(async (o: ClientOptions) => {
    await withApp(async (app) => {
      const { client: c, secret } = await app.clientAdmin.create(await toInput(o), CLI_ACTOR, 'cli');
      print({ ...viewClient(c), client_secret: secret }, o.json === true, () =>
        [`client key:    ${c.key}`, `client secret: ${secret ?? '(none: public client)'}`, `status:        ${c.status}`, 'The secret is shown only now.'].join(
          '\n',
        ),
      );
    });
  });

  client
    .command('list')
    .description('list clients')
    .option('--type <type>', 'oauth1, oauth2 or oidc')
    .option('--status <status>', 'pending, approved or disapproved')
    .option('--search <text>', 'name substring or exact key')
    .option('--limit <n>', 'page size', '100')
    .option('--offset <n>', 'skip', '0')
    .option('--json', 'print JSON')
    .action(async (o: { type?: string; status?: string; search?: string; limit: string; offset: string; json?: boolean }) => {
      await withApp(async (app) => {
        const type = o.type as 'oauth1' | 'oauth2' | 'oidc' | undefined;
        const status = o.status as 'pending' | 'approved' | 'disapproved' | undefined;
        if (type && !['oauth1', 'oauth2', 'oidc'].includes(type)) throw new CliError('--type must be oauth1, oauth2 or oidc');
        if (status && !['pending', 'approved', 'disapproved'].includes(status)) throw new CliError('--status must be pending, approved or disapproved');
        const limit = Number.parseInt(o.limit, 10);
        const offset = Number.parseInt(o.offset, 10);
        if (!(limit > 0) || !(offset >= 0)) throw new CliError('--limit and --offset must be numbers');
        const { items, total } = await app.stores.clients.list({ type, status, search: o.search, limit, offset });
        print({ items: items.map(viewClient), total }, o.json === true, () =>
          items.length === 0 ? 'no clients' : items.map((c) => `${c.key}  ${c.type.padEnd(6)}  ${c.status.padEnd(11)}  ${c.name}`).join('\n'),
        );
      });
    });

  client
    .command('show <key>')
    .description('show one client')
    .option('--json', 'print JSON')
    .action(async (key: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const v = viewClient(await app.clientAdmin.get(key));
        print(v, o.json === true, () =>
          Object.entries(v)
            .map(([k, val]) => `${k}: ${JSON.stringify(val)}`)
            .join('\n'),
        );
      });
    });

  settingOptions(client.command('update <key>').description('change name, secret or settings (never the key)'))
    .option('--generate-secret', 'generate a new secret and print it once')
    .action(async (key: string, o: ClientOptions) => {
      await withApp(async (app) => {
        const input = await toInput(o);
        if (o.generateSecret) {
          if (o.secret !== undefined) throw new CliError('--secret and --generate-secret exclude each other');
          const { generateSecret } = await import('../../admin/client-admin.js');
          input.secret = generateSecret(app.random);
        }
        const { client: c, secret } = await app.clientAdmin.update(key, input, CLI_ACTOR);
        print({ ...viewClient(c), ...(secret ? { client_secret: secret } : {}) }, o.json === true, () =>
          secret ? `updated ${c.key}\nnew client secret: ${secret}` : `updated ${c.key}`,
        );
      });
    });

  for (const [name, status] of [
    ['approve', 'approved'],
    ['disapprove', 'disapproved'],
  ] as const) {
    client
      .command(`${name} <key>`)
      .description(`${name} a client key`)
      .option('--json', 'print JSON')
      .action(async (key: string, o: { json?: boolean }) => {
        await withApp(async (app) => {
          const c = await app.clientAdmin.setStatus(key, status, CLI_ACTOR);
          print(viewClient(c), o.json === true, () => `${c.key} is now ${c.status}`);
        });
      });
  }

  client
    .command('remove <key>')
    .description('remove a client and everything issued to it')
    .action(async (key: string) => {
      await withApp(async (app) => {
        await app.clientAdmin.remove(key, CLI_ACTOR);
        process.stdout.write(`removed ${key}\n`);
      });
    });
}
