import type { Command } from 'commander';
import { viewUser } from '../../admin/user-admin.js';
import { ROLES } from '../../core/users/permissions.js';
import { CLI_ACTOR, CliError, collect, print, withApp } from '../context.js';

async function readPassword(o: { password?: string; passwordStdin?: boolean }): Promise<string> {
  if (o.password !== undefined) return o.password;
  if (o.passwordStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  throw new CliError('give --password or --password-stdin');
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage internal users');

  user
    .command('add <username>')
    .description('create a user')
    .option('--display-name <name>', 'display name')
    .option('--email <email>', 'email address')
    .option('--password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--role <role>', `a role: ${ROLES.map((r) => r.id).join(', ')} (repeatable)`, collect)
    .option('--json', 'print JSON')
    .action(
      async (username: string, o: { displayName?: string; email?: string; password?: string; passwordStdin?: boolean; role?: string[]; json?: boolean }) => {
        const password = await readPassword(o);
        await withApp(async (app) => {
          const u = await app.userAdmin.create({ username, display_name: o.displayName, email: o.email, password, roles: o.role ?? [] }, CLI_ACTOR);
          print(viewUser(u), o.json === true, () => `created ${u.username}`);
        });
      },
    );

  user
    .command('list')
    .description('list users')
    .option('--search <text>', 'username substring')
    .option('--json', 'print JSON')
    .action(async (o: { search?: string; json?: boolean }) => {
      await withApp(async (app) => {
        const { items, total } = await app.stores.users.list({ search: o.search, limit: 1000, offset: 0 });
        print(
          { items: items.map(viewUser), total },
          o.json === true,
          () => items.map((u) => `${u.username.padEnd(20)} ${u.enabled ? 'enabled ' : 'disabled'} ${u.roles.join(',')}`).join('\n') || 'no users',
        );
      });
    });

  user
    .command('show <username>')
    .description('show a user')
    .option('--json', 'print JSON')
    .action(async (username: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const v = viewUser(await app.userAdmin.getByUsername(username));
        print(v, o.json === true, () =>
          Object.entries(v)
            .map(([k, val]) => `${k}: ${JSON.stringify(val)}`)
            .join('\n'),
        );
      });
    });

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    user
      .command(`${name} <username>`)
      .description(`${name} a user${enabled ? '' : ' (cuts off their sessions and tokens)'}`)
      .action(async (username: string) => {
        await withApp(async (app) => {
          await app.userAdmin.setEnabled(await app.userAdmin.getByUsername(username), enabled, CLI_ACTOR);
          process.stdout.write(`${username} ${enabled ? 'enabled' : 'disabled'}\n`);
        });
      });
  }

  user
    .command('set-password <username>')
    .description("set a user's password")
    .option('--password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, o: { password?: string; passwordStdin?: boolean }) => {
      const password = await readPassword(o);
      await withApp(async (app) => {
        await app.userAdmin.setPassword(await app.userAdmin.getByUsername(username), password, CLI_ACTOR);
        process.stdout.write(`password of ${username} set\n`);
      });
    });

  for (const [name, grant] of [
    ['grant-role', true],
    ['revoke-role', false],
  ] as const) {
    user
      .command(`${name} <username> <role>`)
      .description(`${grant ? 'grant' : 'revoke'} a role (${ROLES.map((r) => r.id).join(', ')})`)
      .action(async (username: string, role: string) => {
        await withApp(async (app) => {
          const u = await app.userAdmin.getByUsername(username);
          const next = grant ? await app.userAdmin.grantRole(u, role, CLI_ACTOR) : await app.userAdmin.revokeRole(u, role, CLI_ACTOR);
          process.stdout.write(`${username}: ${next.roles.join(', ') || '(no roles)'}\n`);
        });
      });
  }
}
