import type { App } from './compose.js';
import { purgeExpired } from './core/maintenance/purger.js';

/**
 * Background work of a serving instance: purging expired data in small batches. Every instance
 * may run it; batches are independent, so two instances purging at once only share the work.
 */
export function startBackgroundJobs(app: App): void {
  const every = app.config.purgeInterval * 1000;
  if (every === 0) return;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await purgeExpired(app.purgeTasks, app.clock.now());
    } catch {
      // The database may be briefly unreachable; the next tick tries again.
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), every);
  timer.unref();
  app.closers.push(() => clearInterval(timer));
}

/** How often the re-sync checks which directories are due (each has its own interval). */
const SYNC_CHECK_MS = 60_000;

/**
 * Periodic re-sync of imported users' attributes and group membership, per directory at its
 * `syncIntervalMinutes` (0: off, the default). With several instances each may run it; a sync
 * only reads the directory and rewrites the same values, so overlapping runs are harmless.
 */
export function startDirectorySync(app: App): void {
  const last = new Map<string, number>();
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const directory of await app.stores.directories.list()) {
        if (!directory.enabled || directory.syncIntervalMinutes === 0) continue;
        const now = app.clock.now();
        if (now - (last.get(directory.id) ?? 0) < directory.syncIntervalMinutes * 60_000) continue;
        last.set(directory.id, now);
        await app.directories.importer.sync(directory).catch(() => {});
      }
    } catch {
      // The database may be briefly unreachable; the next tick tries again.
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), SYNC_CHECK_MS);
  timer.unref();
  app.closers.push(() => clearInterval(timer));
}
