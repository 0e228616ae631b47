import cluster, { type Worker } from 'node:cluster';

/** The environment variable that tells a forked worker its number (1…LATCHKEY_WORKERS). */
export const WORKER_NUMBER_ENV = 'LATCHKEY_WORKER_NUMBER';

/** First delay before a worker that ended is started again; doubled while it keeps ending soon. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long counts as healthy: its next restart is quick again. */
const HEALTHY_AFTER_MS = 30_000;
/** How long a worker may take to finish its requests after SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface WorkerPool {
  /** The process ids of the workers now running (for tests and operators). */
  pids(): number[];
  /** SIGTERM to every worker (SIGKILL after a grace period); resolves once all have ended. */
  stop(): Promise<void>;
}

interface Slot {
  worker: Worker | null;
  startedAt: number;
  /** The delay of the last restart (0: none yet, or the worker had become healthy). */
  delayMs: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Forks `count` serving processes of the same command (node:cluster: they share the listening
 * port, the primary hands out connections in turn) and resolves once each listens. A worker that
 * ends afterwards is started again under the same number, after a delay that doubles while it
 * keeps ending within HEALTHY_AFTER_MS (a crash loop does not spin). A worker that ends before
 * every one listened fails the start: the others are stopped and the promise rejects.
 */
export function startWorkers(count: number, say: (message: string) => void): Promise<WorkerPool> {
  const slots = new Map<number, Slot>();
  let stopping = false;
  let started = false;
  const listening = new Set<number>();

  return new Promise((resolve, reject) => {
    const pool: WorkerPool = {
      pids: () => [...slots.values()].flatMap((s) => (s.worker?.process.pid !== undefined && !s.worker.isDead() ? [s.worker.process.pid] : [])),
      stop: async () => {
        stopping = true;
        const ending: Array<Promise<void>> = [];
        for (const slot of slots.values()) {
          if (slot.timer) clearTimeout(slot.timer);
          slot.timer = null;
          const worker = slot.worker;
          if (worker === null || worker.isDead()) continue;
          ending.push(
            new Promise((done) => {
              const kill = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS);
              worker.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              worker.process.kill('SIGTERM');
            }),
          );
        }
        await Promise.all(ending);
      },
    };

    const fork = (n: number): void => {
      const slot = slots.get(n) ?? { worker: null, startedAt: 0, delayMs: 0, timer: null };
      slots.set(n, slot);
      const worker = cluster.fork({ [WORKER_NUMBER_ENV]: String(n) });
      slot.worker = worker;
      slot.startedAt = Date.now();
      slot.timer = null;
      worker.once('listening', () => {
        if (started) return;
        listening.add(n);
        if (listening.size === count) {
          started = true;
          resolve(pool);
        }
      });
      worker.once('exit', (code, signal) => {
        if (slot.worker === worker) slot.worker = null;
        if (stopping) return;
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (!started) {
          void pool.stop().then(() => reject(new Error(`worker ${n} ended before it listened (${how})`)));
          return;
        }
        const lived = Date.now() - slot.startedAt;
        slot.delayMs = lived >= HEALTHY_AFTER_MS || slot.delayMs === 0 ? RESTART_FIRST_MS : Math.min(slot.delayMs * 2, RESTART_MAX_MS);
        say(`worker ${n} (pid ${worker.process.pid}) ended (${how}); starting it again in ${slot.delayMs / 1000} s`);
        slot.timer = setTimeout(() => {
          if (!stopping) fork(n);
        }, slot.delayMs);
      });
    };

    for (let n = 1; n <= count; n++) fork(n);
  });
}
