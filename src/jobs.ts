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
