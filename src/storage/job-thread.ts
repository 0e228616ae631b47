import { Worker } from 'node:worker_threads';

export interface JobThread {
  /** Posts one job; `done` gets null, or the error the thread reported. At most one job in flight. */
  run(message: unknown, done: (err: NodeJS.ErrnoException | null) => void): void;
  /** Posts `farewell` (if given) so the thread can tidy up, and forgets it. */
  close(farewell?: unknown): void;
}

/**
 * A worker thread, started on first use, that answers each message with `null` or
 * `{ message, code }`. `source` is CommonJS run with `eval`; it receives `workerData`.
 */
export function jobThread(source: string, workerData?: unknown): JobThread {
  let worker: Worker | null = null;
  let pending: ((err: NodeJS.ErrnoException | null) => void) | null = null;
  const settle = (err: NodeJS.ErrnoException | null) => {
    const done = pending;
    pending = null;
    done?.(err);
  };
  const start = () => {
    const w = new Worker(source, { eval: true, workerData });
    w.unref();
    w.on('message', (m: { message: string; code?: string } | null) => {
      settle(m === null ? null : Object.assign(new Error(m.message), { code: m.code }));
    });
    w.on('error', (err) => {
      worker = null;
      settle(err);
    });
    return w;
  };
  return {
    run(message, done) {
      pending = done;
      worker ??= start();
      worker.postMessage(message);
    },
    close(farewell) {
      if (farewell === undefined) void worker?.terminate();
      else worker?.postMessage(farewell);
      worker = null;
    },
  };
}
