import type { Command } from 'commander';
import { describeOptions, loadConfig } from '../../config/load.js';

export function registerConfigCommands(program: Command): void {
  program
    .command('config')
    .description('list every configuration option, or check the current configuration')
    .option('--check', 'validate the current environment and configuration file')
    .action((o: { check?: boolean }) => {
      if (o.check) {
        const c = loadConfig();
        process.stdout.write(`configuration is valid (issuer ${c.issuer}, database ${c.databaseUrl.replace(/\/\/[^@]*@/, '//***@')})\n`);
        return;
      }
      process.stdout.write(`${describeOptions()}\n\nLATCHKEY_CONFIG names an optional JSON file with the same keys; environment variables win.\n`);
    });
}
