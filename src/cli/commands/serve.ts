import cluster from 'node:cluster';
import type { Command } from 'commander';
import type { App } from '../../app.js';
import { bootstrapAdmin, openApp } from '../../compose.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { startWarnings } from '../../config/start-warnings.js';
import { bufferedStdout } from '../../http/log-destination.js';
import { buildServer } from '../../http/server.js';
import { startBackgroundJobs, startDirectorySync } from '../../jobs.js';
import { startWorkers, WORKER_NUMBER_ENV } from '../workers.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve', { isDefault: true })
    .description('migrate the database and serve (default command)')
    .action(async () => {
      const config = loadConfig();
      // A worker forked by the primary below (LATCHKEY_WORKERS > 1): it only serves.
      if (cluster.isWorker) {
        const app = await openApp(config, { warn: () => {}, migrate: false });
        await serve(app, Number(process.env[WORKER_NUMBER_ENV]));
        return;
      }
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
      // The background jobs run in this process only, whatever the number of workers.
      startBackgroundJobs(app);
      startDirectorySync(app);
      if (config.workers > 1) await superviseWorkers(app, config, warn);
      else await serve(app);
    });
}

/** Serves `app` in this process; `worker`: its number when it is one of several workers. */
async function serve(app: App, worker?: number): Promise<void> {
  const { config } = app;
  // Workers share the primary's standard output: their lines must not interleave.
  const log = bufferedStdout(worker !== undefined);
  const server = await buildServer(app, { logStream: log, ...(worker === undefined ? {} : { worker }) });
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
  if (worker === undefined) process.stdout.write(`Latchkey listening on ${config.issuer} (Node.js ${process.version})\n`);
}

/**
 * The primary of several workers: the database is migrated and the administrator created (above),
 * the signing keys made once, then the workers forked; this process keeps the background jobs and
 * starts a worker again when one ends. SIGINT or SIGTERM stop the workers, then this process (0).
 */
async function superviseWorkers(app: App, config: Config, warn: (message: string) => void): Promise<void> {
  // Made here, before the workers start together: otherwise each could create its own on first use.
  await app.oauth2.keys.signingKey('RS256');
  await app.oauth2.keys.signingKey('ES256');
  const pool = await startWorkers(config.workers, warn);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pool.stop();
    await app.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  process.stdout.write(`Latchkey listening on ${config.issuer} (Node.js ${process.version}, ${config.workers} workers)\n`);
}
