import type { Command } from 'commander';
import { bootstrapAdmin, openApp } from '../../compose.js';
import { loadConfig } from '../../config/load.js';
import { startWarnings } from '../../config/start-warnings.js';
import { bufferedStdout } from '../../http/log-destination.js';
import { buildServer } from '../../http/server.js';
import { startBackgroundJobs, startDirectorySync } from '../../jobs.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('migrate the database and serve (default command)')
    .action(async () => {
      const config = loadConfig();
      const warn = (message: string) => process.stderr.write(`warning: ${message}\n`);
      for (const message of startWarnings(config, process.env)) warn(message);
      const app = await openApp(config, { warn });
      const boot = await bootstrapAdmin(app);
      if (boot.created) {
        // Printed once, straight to the terminal, never through the logger.
        process.stdout.write(
          boot.generatedPassword
            ? `\nCreated the administrator "admin" with the password:\n\n    ${boot.generatedPassword}\n\nIt is shown only now. Change it after signing in.\n\n`
            : '\nCreated the administrator "admin" with the password from LATCHKEY_ADMIN_PASSWORD.\n\n',
        );
      }
      startBackgroundJobs(app);
      startDirectorySync(app);
      const log = bufferedStdout();
      const server = await buildServer(app, { logStream: log });
      // A fatal error is logged and the buffered lines written before the process ends.
      process.on('uncaughtException', (err) => {
        server.log.fatal({ err }, 'uncaught exception');
        log.flushSync();
        process.stderr.write(`${err.stack ?? err.message}\n`);
        process.exit(1);
      });
      const stop = async () => {
        await server.close();
        await app.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
      await server.listen({ port: config.port, host: config.host });
      process.stdout.write(`Latchkey listening on ${config.issuer} (Node.js ${process.version})\n`);
    });
}
