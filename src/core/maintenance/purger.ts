/** One kind of expired data and how to delete a batch of it. */
export interface PurgeTask {
  name: string;
  /** Deletes at most `batch` rows expired before `before`; returns how many it deleted. */
  run(before: number, batch: number): Promise<number>;
  /** Keep rows this much longer than their expiry (e.g. replay evidence), in ms. */
  keepFor?: number;
}

export interface PurgeReport {
  [task: string]: number;
}

/**
 * Runs every task in small batches until each has nothing left (or `maxBatches` is reached),
 * pausing between batches so other queries interleave and no lock is held for long.
 */
export async function purgeExpired(
  tasks: readonly PurgeTask[],
  now: number,
  options: { batch?: number; maxBatches?: number; pause?: () => Promise<void> } = {},
): Promise<PurgeReport> {
  const batch = options.batch ?? 500;
  const maxBatches = options.maxBatches ?? 10_000;
  const pause = options.pause ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  const report: PurgeReport = {};
  for (const task of tasks) {
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const n = await task.run(now - (task.keepFor ?? 0), batch);
      total += n;
      if (n < batch) break;
      await pause();
    }
    report[task.name] = total;
  }
  return report;
}
