import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type DirectoryView, directoryView } from '../../admin/directory-admin.js';
import { entryView } from '../../admin/directory-import.js';
import { groupView } from '../../admin/group-admin.js';
import { viewUser } from '../../admin/user-admin.js';
import type { App } from '../../compose.js';
import { CLI_ACTOR, CliError, collect, print, withApp } from '../context.js';

interface SettingsFlags {
  name?: string;
  domain?: string;
  host?: string;
  port?: string;
  security?: string;
  caFile?: string;
  verifyHostname?: boolean;
  preset?: string;
  baseDn?: string;
  userFilter?: string;
  usernameAttribute?: string;
  dnTemplate?: string;
  bindDn?: string;
  bindPasswordStdin?: boolean;
  bindPasswordFile?: string;
  createUsers?: boolean;
  defaultGroup?: string;
  syncInterval?: string;
  emailVerified?: boolean;
  settings?: string;
  json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function int(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${name} must be a whole number`);
  return Number(value);
}

/** The API body the flags describe; `--settings FILE` gives the whole body as JSON, flags override it. */
async function body(o: SettingsFlags): Promise<Record<string, unknown>> {
  let base: Record<string, unknown> = {};
  if (o.settings !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(o.settings, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError('--settings must hold a JSON object');
    base = { ...parsed };
  }
  const users =
    o.dnTemplate !== undefined
      ? { dn_template: o.dnTemplate }
      : o.baseDn !== undefined
        ? {
            base_dn: o.baseDn,
            ...(o.userFilter !== undefined ? { filter: o.userFilter } : {}),
            ...(o.usernameAttribute !== undefined ? { username_attribute: o.usernameAttribute } : {}),
          }
        : undefined;
  const password =
    o.bindPasswordStdin === true
      ? await readStdin()
      : o.bindPasswordFile !== undefined
        ? readFileSync(o.bindPasswordFile, 'utf8').replace(/\r?\n$/, '')
        : undefined;
  const flags: Record<string, unknown> = {
    name: o.name,
    domain: o.domain,
    host: o.host,
    port: int(o.port, '--port'),
    security: o.security,
    ca_bundle: o.caFile !== undefined ? readFileSync(o.caFile, 'utf8') : undefined,
    verify_hostname: o.verifyHostname === false ? false : undefined,
    preset: o.preset,
    users,
    bind_dn: o.bindDn,
    bind_password: password,
    create_users_on_sign_in: o.createUsers,
    default_group_id: o.defaultGroup,
    sync_interval_minutes: int(o.syncInterval, '--sync-interval'),
    email_verified: o.emailVerified,
  };
  for (const [k, v] of Object.entries(flags)) if (v !== undefined) base[k] = v;
  return base;
}

function settingsOptions(c: Command, adding: boolean): Command {
  return c
    .option('--name <name>', 'configuration name')
    .option('--domain <domain>', 'short domain id (DOMAIN\\user, user@domain)')
    .option('--host <host>', 'server host name or address')
    .option('--port <port>', 'port (389, or 636 with --security ldaps)')
    .option('--security <mode>', 'none, ldaps or starttls')
    .option('--ca-file <pem>', 'CA certificates to trust (PEM file)')
    .option('--no-verify-hostname', 'do not check the server certificate names the host')
    .option('--base-dn <dn>', 'where users are searched')
    .option('--user-filter <filter>', 'filter users must match, e.g. (objectClass=inetOrgPerson)')
    .option('--username-attribute <attr>', 'uid, sAMAccountName, userPrincipalName, …')
    .option('--dn-template <template>', 'bind directly as e.g. uid={username},ou=people,dc=example,dc=org')
    .option('--bind-dn <dn>', 'service account for search-then-bind (omit for anonymous)')
    .option('--bind-password-stdin', 'read the service account password from standard input')
    .option('--bind-password-file <file>', 'read the service account password from a file')
    .option('--create-users', 'create external users at their first sign-in')
    .option('--default-group <id>', 'native group users created at sign-in join')
    .option('--sync-interval <minutes>', 're-sync imported users every N minutes (0: off)')
    .option('--email-verified', "mark the directory's e-mail addresses verified")
    .option('--settings <file>', 'the whole setting as JSON (the admin API body); flags override it')
    .option('--json', 'print JSON')
    .addHelpText('after', adding ? '\nPresets fill the user filter, attributes and groups: --preset openldap (default) or active_directory.' : '');
}

async function byDomain(app: App, domainOrId: string): Promise<DirectoryView> {
  const all = await app.directories.admin.list();
  const found = all.find((d) => d.domain === domainOrId.toLowerCase() || d.id === domainOrId);
  if (!found) throw new CliError(`no directory "${domainOrId}"`);
  return found;
}

const line = (d: DirectoryView) =>
  `${String(d.position).padStart(2)} ${d.domain.padEnd(16)} ${d.enabled ? 'enabled ' : 'disabled'} ${d.security === 'ldaps' ? 'ldaps' : 'ldap'}://${d.host}:${d.port}  ${d.name}${d.health.last_error ? `  (last error: ${d.health.last_error})` : ''}`;

export function registerDirectoryCommands(program: Command): void {
  const dir = program.command('directory').description('manage LDAP / Active Directory directories');

  settingsOptions(dir.command('add').description('add a directory at the end of the sign-in order'), true)
    .option('--preset <preset>', 'openldap or active_directory')
    .action(async (o: SettingsFlags) => {
      const input = await body(o);
      await withApp(async (app) => {
        const created = await app.directories.admin.create(input, CLI_ACTOR);
        const v = await app.directories.admin.view(created.id);
        print(v, o.json === true, () => `added ${v.domain} (${v.id})`);
      });
    });

  dir
    .command('list')
    .description('list directories in sign-in order, with their health')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      await withApp(async (app) => {
        const items = await app.directories.admin.list();
        print({ items }, o.json === true, () => items.map(line).join('\n') || 'no directories');
      });
    });

  dir
    .command('show <domain>')
    .description('show a directory')
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const v = await byDomain(app, domain);
        print(v, o.json === true, () => JSON.stringify(v, null, 2));
      });
    });

  settingsOptions(dir.command('update <domain>').description('change a directory'), false).action(async (domain: string, o: SettingsFlags) => {
    const input = await body(o);
    await withApp(async (app) => {
      const d = await byDomain(app, domain);
      await app.directories.admin.update(d.id, input, CLI_ACTOR);
      const v = await app.directories.admin.view(d.id);
      print(v, o.json === true, () => `updated ${v.domain}`);
    });
  });

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    dir
      .command(`${name} <domain>`)
      .description(enabled ? 'enable a directory' : 'disable a directory (its signed-in users stay signed in)')
      .option('--json', 'print the directory as JSON')
      .action(async (domain: string, o: { json?: boolean }) => {
        await withApp(async (app) => {
          const d = await byDomain(app, domain);
          const v = directoryView(await app.directories.admin.setEnabled(d.id, enabled, CLI_ACTOR));
          print(v, o.json === true, () => `${v.domain} ${enabled ? 'enabled' : 'disabled'}`);
        });
      });
  }

  dir
    .command('move <domain> <position>')
    .description('move a directory in the sign-in order (0: first)')
    .option('--json', 'print JSON')
    .action(async (domain: string, position: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const d = await byDomain(app, domain);
        await app.directories.admin.move(d.id, int(position, 'position') ?? 0, CLI_ACTOR);
        const items = await app.directories.admin.list();
        print({ items }, o.json === true, () => items.map(line).join('\n'));
      });
    });

  dir
    .command('remove <domain>')
    .description('remove a directory for good (its users are disabled, not deleted)')
    .option('--yes', 'confirm')
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { yes?: boolean; json?: boolean }) => {
      if (o.yes !== true) throw new CliError('removing a directory disables its users: confirm with --yes');
      await withApp(async (app) => {
        const d = await byDomain(app, domain);
        await app.directories.admin.remove(d.id, CLI_ACTOR);
        print({ removed: d.domain }, o.json === true, () => `removed ${d.domain}`);
      });
    });

  dir
    .command('test <domain>')
    .description("connect and bind; with --user, check that user's sign-in and show what the directory says")
    .option('--user <username>', 'a username to look up')
    .option('--password-stdin', "read the user's password from standard input (without it: look up only)")
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { user?: string; passwordStdin?: boolean; json?: boolean }) => {
      const password = o.passwordStdin === true ? await readStdin() : null;
      await withApp(async (app) => {
        const d = await byDomain(app, domain);
        if (o.user === undefined) {
          const r = await app.directories.admin.test(d.id);
          print(r.kind === 'ok' ? { ok: true } : { ok: false, reason: r.reason }, o.json === true, () => (r.kind === 'ok' ? 'ok' : `failed: ${r.reason}`));
          if (r.kind !== 'ok') process.exitCode = 1;
          return;
        }
        const r = await app.directories.admin.testUser(d.id, o.user, password, CLI_ACTOR);
        const out = { outcome: r.outcome, ...(r.reason !== undefined ? { reason: r.reason } : {}), ...(r.entry ? { entry: entryView(r.entry, null) } : {}) };
        print(out, o.json === true, () => JSON.stringify(out, null, 2));
        if (r.outcome !== 'signed_in' && r.outcome !== 'found') process.exitCode = 1;
      });
    });

  dir
    .command('import <domain>')
    .description('import users and groups; with --preview, list what a search finds')
    .option('--user <username>', 'a user to import (repeatable)', collect)
    .option('--group <dn>', 'a group to import (repeatable)', collect)
    .option('--preview <query>', 'search users and groups whose name starts with this, import nothing')
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { user?: string[]; group?: string[]; preview?: string; json?: boolean }) => {
      await withApp(async (app) => {
        const d = await byDomain(app, domain);
        if (o.preview !== undefined) {
          const users = await app.directories.admin.searchUsers(d.id, o.preview, 100);
          const groups = await app.directories.admin.searchGroups(d.id, o.preview, 100);
          const out = { users: users.map((e) => entryView(e, null)), groups: groups.map((g) => ({ dn: g.dn, name: g.name, members: g.memberDns.length })) };
          print(
            out,
            o.json === true,
            () =>
              [...users.map((e) => `user  ${e.username.padEnd(20)} ${e.dn}`), ...groups.map((g) => `group ${g.name.padEnd(20)} ${g.dn}`)].join('\n') ||
              'nothing found',
          );
          return;
        }
        const users = await app.directories.importer.importUsers(d.id, o.user ?? [], CLI_ACTOR);
        const groups = await app.directories.importer.importGroups(d.id, o.group ?? [], CLI_ACTOR);
        const out = { users: users.users.map(viewUser), groups: groups.groups.map(groupView), not_found: [...users.notFound, ...groups.notFound] };
        print(out, o.json === true, () =>
          [`imported ${users.users.length} user(s), ${groups.groups.length} group(s)`, ...out.not_found.map((n) => `not found: ${n}`)].join('\n'),
        );
        if (out.not_found.length > 0) process.exitCode = 1;
      });
    });

  dir
    .command('convert <domain> <username>')
    .description('make an internal user external: link it to the entry of the same name (it loses its own password)')
    .option('--json', 'print JSON')
    .action(async (domain: string, username: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const d = await byDomain(app, domain);
        const u = await app.directories.importer.convertToExternal(d.id, username, CLI_ACTOR);
        print(viewUser(u), o.json === true, () => `${u.username} now signs in through ${d.domain}`);
      });
    });

  dir
    .command('sync <domain>')
    .description("re-read imported users' attributes and groups now (users gone from the directory are disabled)")
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const d = await byDomain(app, domain);
        const r = await app.directories.importer.sync(await app.directories.admin.get(d.id));
        print(
          r,
          o.json === true,
          () => `checked ${r.checked}, updated ${r.updated}, disabled ${r.disabled}${r.unavailable ? ' (the directory stopped answering)' : ''}`,
        );
        if (r.unavailable) process.exitCode = 1;
      });
    });
}
