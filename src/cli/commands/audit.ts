import type { Command } from 'commander';
import { print, withApp } from '../context.js';

export function registerAuditCommands(program: Command): void {
  program
    .command('audit')
    .description('the audit log')
    .command('list')
    .description('list administrative changes, newest first')
    .option('--action <action>', 'e.g. client.approve')
    .option('--target <key>', 'client key or username')
    .option('--actor <name>', 'who did it')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'print JSON')
    .action(async (o: { action?: string; target?: string; actor?: string; limit: string; json?: boolean }) => {
      await withApp(async (app) => {
        const limit = Math.max(1, Math.min(10_000, Number.parseInt(o.limit, 10) || 50));
        const { items, total } = await app.stores.audit.list({ action: o.action, target: o.target, actor: o.actor, limit, offset: 0 });
        const rows = items.map((e) => ({ ...e, at: new Date(e.at).toISOString() }));
        print(
          { items: rows, total },
          o.json === true,
          () => rows.map((e) => `${e.at}  ${e.actor.padEnd(12)} ${e.action.padEnd(20)} ${e.target ?? ''}  from ${e.source}`).join('\n') || 'no events',
        );
      });
    });
}
