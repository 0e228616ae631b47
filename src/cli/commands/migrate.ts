import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { migrate, openDatabase } from '../../storage/database.js';

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('apply pending database migrations (also done at every start)')
    .action(async () => {
      const config = loadConfig();
      const database = openDatabase(config.databaseUrl);
      try {
        const applied = await migrate(database);
        process.stdout.write(applied.length ? `applied ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await database.close();
      }
    });
}
