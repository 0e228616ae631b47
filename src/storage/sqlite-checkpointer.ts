import { createRequire } from 'node:module';
import { jobThread } from './job-thread.js';

/** Runs one WAL checkpoint; `done` gets an error when it could not. */
export type Checkpoint = ((done: (err: Error | null) => void) => void) & { close?(): void };

/**
 * WAL checkpoints on a thread of its own, with a connection of its own.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that crosses 1000 WAL pages, on the
 * connection that committed: on the event loop, copying the pages into the database and calling
 * fsync twice (≈ 30 µs per write on average on a virtual disk, and a stall of milliseconds for the
 * unlucky request). Here the driver asks this thread for a PASSIVE checkpoint every few hundred
 * commits (sqlite-driver.ts): it copies what no reader still needs and never blocks a writer. The
 * connection's own checkpoint is kept, four times rarer, because only a checkpoint made inside a
 * COMMIT lets a WAL under steady writes restart from its beginning; it then has little to copy.
 */
export function checkpointThread(file: string): Checkpoint {
  const thread = jobThread(
    `const { parentPort, workerData } = require('node:worker_threads');
     const Database = require(workerData.module);
     let db = null;
     parentPort.on('message', (m) => {
       if (m === 'close') { if (db) db.close(); db = null; parentPort.close(); return; }
       try {
         db ??= new Database(workerData.file, { fileMustExist: true });
         db.pragma('wal_checkpoint(PASSIVE)');
         parentPort.postMessage(null);
       } catch (e) { parentPort.postMessage({ message: String(e && e.message) }); }
     });`,
    { file, module: createRequire(import.meta.url).resolve('better-sqlite3') },
  );
  const checkpoint: Checkpoint = (done) => thread.run('run', done);
  // The thread closes its connection before it ends.
  checkpoint.close = () => thread.close('close');
  return checkpoint;
}
