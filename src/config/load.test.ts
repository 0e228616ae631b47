import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, describeOptions, loadConfig } from './load.js';
import { decodeMasterKey } from './master-key.js';
import { OPTIONS } from './schema.js';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.issuer, 'http://127.0.0.1:8080');
    assert.equal(c.databaseUrl, 'sqlite:./data/latchkey.db');
    assert.equal(c.accessTokenTtl, 900);
  });

  it('reads the personal access token policy: 90 and 365 days, every user by default', () => {
    const c = loadConfig({});
    assert.equal(c.patDefaultLifetime, 90);
    assert.equal(c.patMaxLifetime, 365);
    assert.equal(c.patCreators, 'all');
    assert.deepEqual(loadConfig({ LATCHKEY_PAT_CREATORS: 'none' }).patCreators, []);
    assert.deepEqual(loadConfig({ LATCHKEY_PAT_CREATORS: ' user_manager, server_administrator,user_manager' }).patCreators, [
      'user_manager',
      'server_administrator',
    ]);
    assert.throws(() => loadConfig({ LATCHKEY_PAT_CREATORS: 'user_manager,admins' }), /LATCHKEY_PAT_CREATORS.*"admins" is not all, none or one of/);
    assert.throws(() => loadConfig({ LATCHKEY_PAT_MAX_LIFETIME: '0' }), /LATCHKEY_PAT_MAX_LIFETIME/);
  });

  it('names the bad key', () => {
    assert.throws(
      () => loadConfig({ LATCHKEY_PORT: 'eighty' }),
      (e: unknown) => e instanceof ConfigError && /LATCHKEY_PORT/.test(e.message),
    );
    assert.throws(() => loadConfig({ LATCHKEY_DATABASE_URL: 'mysql://x' }), /LATCHKEY_DATABASE_URL/);
    assert.throws(() => loadConfig({ LATCHKEY_ISSUER: 'https://id.example/?x=1' }), /LATCHKEY_ISSUER: must not have a query/);
    assert.throws(() => loadConfig({ LATCHKEY_LOG_LEVEL: 'loud' }), /LATCHKEY_LOG_LEVEL/);
  });

  it('reads the number of workers: 1 by default, a positive integer, or auto (one per available CPU)', () => {
    assert.equal(loadConfig({}).workers, 1);
    assert.equal(loadConfig({ LATCHKEY_WORKERS: '3' }).workers, 3);
    assert.equal(loadConfig({ LATCHKEY_WORKERS: 'auto' }).workers, availableParallelism());
    for (const bad of ['0', '-1', '2.5', 'two', '1000']) {
      assert.throws(() => loadConfig({ LATCHKEY_WORKERS: bad }), /LATCHKEY_WORKERS: must be auto or an integer from 1 to 256/, bad);
    }
    const file = join(tmpdir(), `latchkey-workers-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ workers: 2 }));
    assert.equal(loadConfig({ LATCHKEY_CONFIG: file }).workers, 2);
    // An in-memory database is private to each process: several workers cannot share it.
    assert.throws(() => loadConfig({ LATCHKEY_WORKERS: '2', LATCHKEY_DATABASE_URL: 'sqlite::memory:' }), /LATCHKEY_WORKERS: .*sqlite::memory:/);
    assert.equal(loadConfig({ LATCHKEY_WORKERS: '1', LATCHKEY_DATABASE_URL: 'sqlite::memory:' }).workers, 1);
  });

  it('reads a config file, overridden by the environment, and refuses unknown keys', () => {
    const file = join(tmpdir(), `latchkey-config-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ port: 9000, issuer: 'https://id.example/' }));
    const c = loadConfig({ LATCHKEY_CONFIG: file, LATCHKEY_PORT: '9100' });
    assert.equal(c.port, 9100);
    assert.equal(c.issuer, 'https://id.example');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    assert.throws(() => loadConfig({ LATCHKEY_CONFIG: file }), /unknown key "prot"/);
    writeFileSync(file, JSON.stringify({ tokenRateLimit: 600 }));
    assert.throws(() => loadConfig({ LATCHKEY_CONFIG: file }), /"tokenRateLimit" no longer exists: .*LATCHKEY_CLIENT_AUTH_FAILURE_LIMIT/);
  });

  it('documents every option in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const missing = Object.values(OPTIONS)
      .map((o) => o.env)
      .filter((env) => !readme.includes(`\`${env}\``));
    assert.deepEqual(missing, [], 'run `latchkey config` and paste the table into the README');
  });

  it('documents every option', () => {
    const doc = describeOptions();
    for (const name of ['LATCHKEY_PORT', 'LATCHKEY_HOST', 'LATCHKEY_ISSUER', 'LATCHKEY_DATABASE_URL', 'LATCHKEY_MASTER_KEY'])
      assert.match(doc, new RegExp(name));
  });

  it('decodes master keys in hex and base64 and refuses other lengths', () => {
    assert.equal(decodeMasterKey('ab'.repeat(32)).length, 32);
    assert.equal(decodeMasterKey(Buffer.alloc(32, 7).toString('base64')).length, 32);
    assert.throws(() => decodeMasterKey('c2hvcnQ='), /32 bytes/);
  });
});
