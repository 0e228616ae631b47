import type { Command } from 'commander';
import { type Group, groupView } from '../../admin/group-admin.js';
import { viewUser } from '../../admin/user-admin.js';
import type { App } from '../../compose.js';
import { CLI_ACTOR, CliError, collect, print, withApp } from '../context.js';

async function byName(app: App, nameOrId: string): Promise<Group> {
  const byId = await app.stores.groups.get(nameOrId);
  if (byId) return byId;
  const { items } = await app.groupAdmin.list({ search: nameOrId, limit: 500, offset: 0 });
  const found = items.filter((g) => g.name.toLowerCase() === nameOrId.toLowerCase());
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1) throw new CliError(`several groups are named "${nameOrId}": give its id`);
  throw new CliError(`no group "${nameOrId}"`);
}

const line = (g: Group) => `${g.name.padEnd(24)} ${g.source ? 'external' : 'native  '} ${g.roles.join(',') || '-'}  ${g.id}`;

export function registerGroupCommands(program: Command): void {
  const group = program.command('group').description('manage groups and the roles they give');

  group
    .command('list')
    .description('list groups')
    .option('--search <text>', 'name substring')
    .option('--external', 'only groups imported from directories')
    .option('--native', 'only native groups')
    .option('--json', 'print JSON')
    .action(async (o: { search?: string; external?: boolean; native?: boolean; json?: boolean }) => {
      await withApp(async (app) => {
        const kind = o.external ? 'external' : o.native ? 'native' : undefined;
        const { items, total } = await app.groupAdmin.list({ ...(o.search ? { search: o.search } : {}), ...(kind ? { kind } : {}), limit: 500, offset: 0 });
        print({ items: items.map(groupView), total }, o.json === true, () => items.map(line).join('\n') || 'no groups');
      });
    });

  group
    .command('add <name>')
    .description('create a native group')
    .option('--description <text>', 'description')
    .option('--role <role>', 'a role its members get (repeatable)', collect)
    .option('--json', 'print JSON')
    .action(async (name: string, o: { description?: string; role?: string[]; json?: boolean }) => {
      await withApp(async (app) => {
        const g = await app.groupAdmin.create({ name, ...(o.description !== undefined ? { description: o.description } : {}), roles: o.role ?? [] }, CLI_ACTOR);
        print(groupView(g), o.json === true, () => `created ${g.name} (${g.id})`);
      });
    });

  group
    .command('show <name>')
    .description('show a group and its members')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const g = await byName(app, name);
        const members = await app.groupAdmin.members(g.id, { limit: 500, offset: 0 });
        const out = { ...groupView(g), members: members.items.map(viewUser), member_count: members.total };
        print(out, o.json === true, () => [line(g), ...members.items.map((u) => `  ${u.username}`)].join('\n'));
      });
    });

  group
    .command('update <name>')
    .description("change a group's name, description or roles")
    .option('--name <name>', 'new name (native groups)')
    .option('--description <text>', 'description')
    .option('--role <role>', 'the roles, replacing the current ones (repeatable)', collect)
    .option('--no-roles', 'remove every role')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { name?: string; description?: string; role?: string[]; roles?: boolean; json?: boolean }) => {
      await withApp(async (app) => {
        const g = await byName(app, name);
        const patch = {
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.description !== undefined ? { description: o.description } : {}),
          ...(o.role !== undefined ? { roles: o.role } : o.roles === false ? { roles: [] } : {}),
        };
        const after = await app.groupAdmin.update(g.id, patch, CLI_ACTOR);
        print(groupView(after), o.json === true, () => `updated ${after.name}`);
      });
    });

  group
    .command('remove <name>')
    .description('remove a group (its members lose its roles)')
    .option('--json', 'print JSON')
    .action(async (name: string, o: { json?: boolean }) => {
      await withApp(async (app) => {
        const g = await byName(app, name);
        await app.groupAdmin.remove(g.id, CLI_ACTOR);
        print({ removed: g.name }, o.json === true, () => `removed ${g.name}`);
      });
    });

  const member = group.command('member').description('native group membership');
  for (const [verb, add] of [
    ['add', true],
    ['remove', false],
  ] as const) {
    member
      .command(`${verb} <group> <username>`)
      .description(add ? 'add a user to a native group' : 'remove a user from a native group')
      .option('--json', 'print JSON')
      .action(async (name: string, username: string, o: { json?: boolean }) => {
        await withApp(async (app) => {
          const g = await byName(app, name);
          if (add) await app.groupAdmin.addMember(g.id, username, CLI_ACTOR);
          else await app.groupAdmin.removeMember(g.id, username, CLI_ACTOR);
          print({ group: g.name, username, member: add }, o.json === true, () => `${username} ${add ? 'added to' : 'removed from'} ${g.name}`);
        });
      });
  }
}
