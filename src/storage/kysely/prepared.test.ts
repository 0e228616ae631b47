import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { prepared } from './prepared.js';

interface Tables {
  t: { id: string; owner: string; n: number };
}

function open() {
  const raw = new SQLite(':memory:');
  raw.exec(`CREATE TABLE t (id TEXT PRIMARY KEY, owner TEXT NOT NULL, n INTEGER NOT NULL);
    INSERT INTO t VALUES ('a', 'x', 1), ('b', 'x', 2), ('c', 'y', 3);`);
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) });
}

describe('prepared queries', () => {
  it('runs the compiled statement with each call’s arguments, constants kept in place', async () => {
    const db = open();
    const byOwner = prepared(
      () => db,
      2,
      (owner: string, min: number) =>
        db.selectFrom('t').select(['id', 'n']).where('owner', '=', owner).where('n', '>=', min).where('id', '!=', 'zzz').orderBy('n'),
    );
    assert.deepEqual(await byOwner('x', 0), [
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ]);
    assert.deepEqual(await byOwner('x', 2), [{ id: 'b', n: 2 }]);
    assert.deepEqual(await byOwner('y', 0), [{ id: 'c', n: 3 }]);
    assert.deepEqual(await byOwner('nobody', 0), []);
  });

  it('fills an argument used twice, and finds nothing for a value with NUL in it', async () => {
    const db = open();
    const either = prepared(
      () => db,
      1,
      (v: string) =>
        db
          .selectFrom('t')
          .select('id')
          .where((eb) => eb.or([eb('id', '=', v), eb('owner', '=', v)])),
    );
    assert.deepEqual(
      (await either('y')).map((r) => r.id),
      ['c'],
    );
    assert.deepEqual(
      (await either('a')).map((r) => r.id),
      ['a'],
    );
    assert.deepEqual(await either('a\u0000'), []);
  });

  it('refuses a builder that does not pass an argument as a value', async () => {
    const db = open();
    const broken = prepared(
      () => db,
      1,
      (_id: string) => db.selectFrom('t').selectAll(),
    );
    await assert.rejects(broken('a'), /argument 0 is not a parameter/);
  });
});
