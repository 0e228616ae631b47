// composeApp builds the application from what it is given: the storage, the clock, the randomness,
// the outbound client and the sealed-secret box. It opens nothing itself.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { systemRandom } from '../../src/adapters/system.js';
import { type AppRuntime, composeApp, kyselyStorage, SYSTEM_ACTOR } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import { SecretBox } from '../../src/core/crypto/secret-box.js';
import type { DirectoryClient } from '../../src/core/directories/directory.js';
import type { Outbound } from '../../src/core/outbound.js';
import { FakeClock } from '../../src/core/testing/fakes.js';
import { type Database, migrate, openDatabase } from '../../src/storage/database.js';
import { type Backend, sqliteBackend } from '../support/backends.js';

describe('composeApp', () => {
  let backend: Backend;
  let database: Database;
  const T = Date.UTC(2031, 4, 6, 7, 8, 9);

  before(async () => {
    backend = sqliteBackend();
    database = openDatabase(backend.url, { readCache: false });
    await migrate(database, () => T);
  });
  after(async () => {
    await database.close();
    await backend.cleanup();
  });

  function runtime(): AppRuntime & { sent: string[] } {
    const sent: string[] = [];
    const outbound: Outbound = {
      http: {
        async send(request) {
          sent.push(request.url);
          throw new Error('no network in this test');
        },
      },
      refusal: (url) => (new URL(url).hostname.endsWith('.blocked.example') ? 'is on a blocked host' : null),
    };
    const unavailable = { kind: 'unavailable', reason: 'no directory in this test' } as const;
    const directoryClient: DirectoryClient = {
      authenticate: async () => unavailable,
      lookup: async () => unavailable,
      lookupById: async () => unavailable,
      searchUsers: async () => unavailable,
      searchGroups: async () => unavailable,
      test: async () => unavailable,
      forget: () => {},
      close: async () => {},
    };
    return { clock: new FakeClock(T), random: systemRandom, outbound, directoryClient, secrets: new SecretBox(randomBytes(32), systemRandom), sent };
  }

  it('uses the storage, clock and outbound check it is given', async () => {
    const config = loadConfig({ LATCHKEY_DATABASE_URL: backend.url, LATCHKEY_DATA_DIR: backend.dataDir, LATCHKEY_LOG_LEVEL: 'silent' });
    const storage = kyselyStorage(database);
    const given = runtime();
    const app = composeApp(config, storage, given);
    assert.equal(app.database, database);
    assert.equal(app.stores, storage.stores);
    assert.equal(app.outbound, given.outbound);

    await app.userAdmin.create({ username: 'composed', display_name: 'Composed', password: 'a long enough password 1', roles: [] }, SYSTEM_ACTOR);
    const user = await storage.stores.users.findByUsername('composed');
    assert.equal(user?.createdAt, T, 'the record carries the given clock’s time');

    const check = app.registration.settings.policy.outboundTarget;
    assert.equal(check?.('https://jwks.blocked.example/keys'), 'is on a blocked host');
    assert.equal(check?.('https://jwks.example/keys'), null);
    assert.deepEqual(given.sent, [], 'composing sends nothing');
  });
});
