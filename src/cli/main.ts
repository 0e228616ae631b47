#!/usr/bin/env node
import { Command, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import { registerAuditCommands } from './commands/audit.js';
import { registerClientCommands } from './commands/client.js';
import { registerConfigCommands } from './commands/config.js';
import { registerDirectoryCommands } from './commands/directory.js';
import { registerGroupCommands } from './commands/group.js';
import { registerKeysCommands } from './commands/keys.js';
import { registerMigrateCommand } from './commands/migrate.js';
import { registerRegistrationTokenCommands } from './commands/registration-token.js';
import { registerServeCommand } from './commands/serve.js';
import { registerTokenCommands } from './commands/token.js';
import { registerUserCommands } from './commands/user.js';
import { CliError } from './context.js';

const program = new Command()
  .name('latchkey')
  .description(
    'Authorization server for OAuth 1.0a, OAuth 2.0 and OpenID Connect clients.\nConfiguration comes from LATCHKEY_* environment variables (see `latchkey config`).',
  )
  .addOption(new Option('--config <file>', 'JSON configuration file (same as LATCHKEY_CONFIG)'))
  .showHelpAfterError()
  .hook('preAction', (cmd) => {
    const file = cmd.opts<{ config?: string }>().config;
    if (file) process.env.LATCHKEY_CONFIG = file;
  });

registerServeCommand(program);
registerMigrateCommand(program);
registerClientCommands(program);
registerUserCommands(program);
registerDirectoryCommands(program);
registerGroupCommands(program);
registerAuditCommands(program);
registerKeysCommands(program);
registerRegistrationTokenCommands(program);
registerTokenCommands(program);
registerConfigCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CliError) {
    process.stderr.write(`latchkey: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`latchkey: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
