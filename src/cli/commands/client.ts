import { Command } from 'commander';
import { viewClient } from '../../admin/client-admin.js';
import type { App } from '../../compose.js';
import { CLI_ACTOR, CliError, collect, print, withApp } from '../context.js';

interface ClientOptions {
  type?: string;
  name?: string;
  secret?: string;
  generateSecret?: boolean;
  public?: boolean;
  requirePkce?: boolean;
  /** Undefined unless --resource-server or --no-resource-server was given. */
  resourceServer?: boolean;
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
  if (o.resourceServer !== undefined) input.resource_server = o.resourceServer;
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
    .option('--resource-server', 'a resource server: may introspect tokens issued to other clients (RFC 7662) and verify OAuth 1.0a requests')
    .option('--no-resource-server', 'not a resource server (the default): introspects only its own tokens')
    .option('--json', 'print JSON');
}

/** What a client key is made of (base64url); never "=", which `--option=value` carries. */
const KEY_CHARACTERS = /^[A-Za-z0-9_-]+$/;
/** Commander's help flags keep their meaning (they are not in the command's option list). */
const HELP_FLAGS = ['-h', '--help'];

const keyHelp = (name: string) => `
A key that starts with "-" is read as the key when it is none of the options above and a client has
exactly that key. "--" ends the options, so a key after it is always read as the key:
  latchkey client ${name} -- -v_KWky51GyA9UwK_A14WQ`;

/**
 * A command whose one argument is a client key. Keys are base64url, so a key generated before keys
 * stopped starting with "-" looks like an option. When no key was given yet, the first argument
 * that is none of the command's options and is made of key characters is read as the key; the
 * command then acts only when a client has exactly that key, and otherwise reports the unknown
 * option it was. Options after it are read as usual. ("--" needs none of this.)
 */
class KeyCommand extends Command {
  /** The key, when it was read from an argument that looks like an option. */
  private optionLike: string | undefined;

  override parseOptions(args: string[]): { operands: string[]; unknown: string[] } {
    const parsed = super.parseOptions(args);
    const [first, ...rest] = parsed.unknown;
    if (first === undefined || HELP_FLAGS.includes(first) || parsed.operands.length > 0 || !KEY_CHARACTERS.test(first)) return parsed;
    this.optionLike = first;
    const after = super.parseOptions(rest);
    return { operands: [first, ...after.operands], unknown: after.unknown };
  }

  /** Refuses a key read from an option-like argument unless a client has exactly that key. */
  async checkKey(app: App, key: string): Promise<void> {
    if (key !== this.optionLike || (await app.stores.clients.get(key)) !== undefined) return;
    throw new CliError(`unknown option '${key}' (no client has this key either; put "--" before a key that starts with "-")`);
  }
}

/** `latchkey client <name> <key>`, with the settings the other subcommands inherit. */
function keyCommand(parent: Command, name: string): KeyCommand {
  const cmd = new KeyCommand(name);
  cmd.copyInheritedSettings(parent);
  parent.addCommand(cmd);
  return cmd.argument('<key>', 'client key (after "--" when it starts with "-")').addHelpText('after', keyHelp(name));
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

  keyCommand(client, 'show')
    .description('show one client')
    .option('--json', 'print JSON')
    .action(async (key: string, o: { json?: boolean }, cmd: KeyCommand) => {
      await withApp(async (app) => {
        await cmd.checkKey(app, key);
        const v = viewClient(await app.clientAdmin.get(key));
        print(v, o.json === true, () =>
          Object.entries(v)
            .map(([k, val]) => `${k}: ${JSON.stringify(val)}`)
            .join('\n'),
        );
      });
    });

  settingOptions(keyCommand(client, 'update').description('change name, secret or settings (never the key)'))
    .option('--generate-secret', 'generate a new secret and print it once')
    .action(async (key: string, o: ClientOptions, cmd: KeyCommand) => {
      await withApp(async (app) => {
        await cmd.checkKey(app, key);
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
    keyCommand(client, name)
      .description(`${name} a client key`)
      .option('--version <n>', 'only if the client is still at this version (as `client show` printed it)')
      .option('--json', 'print JSON')
      .action(async (key: string, o: { json?: boolean; version?: string }, cmd: KeyCommand) => {
        await withApp(async (app) => {
          await cmd.checkKey(app, key);
          const version = o.version === undefined ? undefined : Number(o.version);
          if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1)) throw new CliError('--version must be a positive integer');
          const c = await app.clientAdmin.setStatus(key, status, CLI_ACTOR, undefined, version === undefined ? {} : { version });
          print(viewClient(c), o.json === true, () => `${c.key} is now ${c.status}`);
        });
      });
  }

  keyCommand(client, 'remove')
    .description('remove a client and everything issued to it')
    .action(async (key: string, _o: unknown, cmd: KeyCommand) => {
      await withApp(async (app) => {
        await cmd.checkKey(app, key);
        await app.clientAdmin.remove(key, CLI_ACTOR);
        process.stdout.write(`removed ${key}\n`);
      });
    });
}
