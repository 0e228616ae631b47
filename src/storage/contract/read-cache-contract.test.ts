import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sqliteBackend } from '../../../test/support/backends.js';
import { kyselyStores, openApp } from '../../compose.js';
import { loadConfig } from '../../config/load.js';
import { type Database, openDatabase } from '../database.js';
import { type ContractDatabases, client, contractVariants, openDatabases, pastExternalCheck } from './harness.js';

/**
 * The SQLite read cache sees another connection's commit only when it next checks
 * `PRAGMA data_version`, at most once a millisecond (sqlite-read-cache.ts). With the clock the
 * cache reads (performance.now) held still, that check does not come again, so a row written
 * through a second connection is still answered from memory with the cache on, and read from
 * SQLite at once with it off: the difference shows which one ran.
 */
async function nameOf(database: Database, key: string): Promise<string | undefined> {
  return (await database.db.selectFrom('clients').select('name').where('key', '=', key).executeTakeFirst())?.name;
}

/** Runs `fn` with performance.now() standing still at the current instant. */
async function withTimeHeld<T>(fn: () => Promise<T>): Promise<T> {
  const perf = globalThis.performance;
  const held = perf.now();
  const own = Object.getOwnPropertyDescriptor(perf, 'now');
  Object.defineProperty(perf, 'now', { value: () => held, configurable: true, writable: true });
  try {
    return await fn();
  } finally {
    if (own) Object.defineProperty(perf, 'now', own);
    else delete (perf as { now?: unknown }).now;
  }
}

/** Reads a row twice (cached, then checked), renames it through `writer`, and reads it once more at once. */
async function readAfterExternalWrite(reader: Database, writer: Database, key: string): Promise<{ before: string | undefined; after: string | undefined }> {
  return withTimeHeld(async () => {
    const before = await nameOf(reader, key);
    assert.equal(await nameOf(reader, key), before);
    await writer.db
      .updateTable('clients')
      .set({ name: `${before} renamed` })
      .where('key', '=', key)
      .execute();
    return { before, after: await nameOf(reader, key) };
  });
}

for (const variant of contractVariants().filter((v) => v.backend === 'sqlite')) {
  describe(`SQLite reads on ${variant.name}`, () => {
    let opened: ContractDatabases;
    before(async () => {
      opened = await openDatabases(variant);
      await kyselyStores(opened.database).clients.insert(client('rc'));
    });
    after(() => opened.close());

    if (variant.readCache) {
      it('answer from memory until the cache checks for other connections’ commits', async () => {
        const seen = await readAfterExternalWrite(opened.database, opened.second, 'rc');
        assert.deepEqual(seen, { before: 'Client rc', after: 'Client rc' }, 'served from the cache: proof the observable tells the two apart');
        await pastExternalCheck();
        assert.equal(await nameOf(opened.database, 'rc'), 'Client rc renamed', 'seen once the cache checks again');
      });
    } else {
      it('bypass any cache: a commit by another connection is seen at once', async () => {
        for (let round = 0; round < 5; round++) {
          const seen = await readAfterExternalWrite(opened.database, opened.second, 'rc');
          assert.equal(seen.after, `${seen.before} renamed`, `round ${round}`);
        }
      });
    }
  });
}

describe('LATCHKEY_SQLITE_READ_CACHE', () => {
  for (const [setting, cached] of [
    ['off', false],
    ['on', true],
  ] as const) {
    it(`${setting}: the composed app ${cached ? 'keeps' : 'does not keep'} rows in memory`, async () => {
      const backend = sqliteBackend();
      const app = await openApp(
        loadConfig({
          LATCHKEY_DATABASE_URL: backend.url,
          LATCHKEY_DATA_DIR: backend.dataDir,
          LATCHKEY_MASTER_KEY: randomBytes(32).toString('base64'),
          LATCHKEY_SQLITE_READ_CACHE: setting,
          LATCHKEY_LOG_LEVEL: 'silent',
        }),
      );
      const other = openDatabase(backend.url, { readCache: false });
      try {
        await app.stores.clients.insert(client('env'));
        const seen = await readAfterExternalWrite(app.database, other, 'env');
        assert.equal(seen.after, cached ? 'Client env' : 'Client env renamed');
      } finally {
        await other.close();
        await app.close();
        await backend.cleanup();
      }
    });
  }
});
