// ASVS 5.0 V13 Configuration: what the server leaves on disk and how it starts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { openApp } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';

const root = mkdtempSync(join(tmpdir(), 'latchkey-v13-'));
after(() => rmSync(root, { recursive: true, force: true }));

function modeOf(path: string): number {
  return statSync(path).mode & 0o777;
}

/** Starts and stops the app on dataDir; `walMode` is read while it runs (SQLite removes the WAL on close). */
async function start(dataDir: string): Promise<string[] & { walMode?: number }> {
  const warnings: string[] & { walMode?: number } = [];
  const config = loadConfig({ LATCHKEY_DATA_DIR: dataDir, LATCHKEY_DATABASE_URL: `sqlite:${join(dataDir, 'latchkey.db')}`, LATCHKEY_LOG_LEVEL: 'silent' });
  const app = await openApp(config, { warn: (m) => warnings.push(m) });
  // One write, so that SQLite creates its WAL and shared-memory files.
  await app.stores.audit.append({ at: Date.now(), actor: 't', source: 'test', action: 'test.write', targetType: 'none', target: 'x', details: {} });
  const wal = join(dataDir, 'latchkey.db-wal');
  if (existsSync(wal)) warnings.walMode = modeOf(wal);
  await app.close();
  return warnings;
}

describe('V13 files holding secrets', () => {
  test('V13.3.1 a new data folder is 0700, and the database, its WAL and the master key are 0600', async () => {
    const dataDir = join(root, 'fresh', 'data');
    const warnings = await start(dataDir);
    assert.equal(modeOf(dataDir), 0o700);
    assert.equal(modeOf(join(dataDir, 'master.key')), 0o600);
    assert.equal(modeOf(join(dataDir, 'latchkey.db')), 0o600);
    assert.equal(warnings.walMode, 0o600, 'the WAL exists after a write, 0600');
    assert.deepEqual([...warnings], []);
  });

  test('V13.3.1 files and folder left open to others by an earlier start are tightened, with a warning naming each', async () => {
    const dataDir = join(root, 'loose');
    await start(dataDir);
    chmodSync(dataDir, 0o755);
    for (const f of ['master.key', 'latchkey.db']) chmodSync(join(dataDir, f), 0o644);
    const warnings = await start(dataDir);
    assert.equal(modeOf(dataDir), 0o700);
    assert.equal(modeOf(join(dataDir, 'master.key')), 0o600);
    assert.equal(modeOf(join(dataDir, 'latchkey.db')), 0o600);
    for (const f of [dataDir, join(dataDir, 'master.key'), join(dataDir, 'latchkey.db')]) {
      assert.ok(
        warnings.some((w) => w.startsWith(`${f} has mode`)),
        `a warning names ${f}: ${warnings.join(' | ')}`,
      );
    }
    // Warnings name paths and modes, never the key.
    assert.ok(warnings.every((w) => !/[A-Za-z0-9+/]{40,}/.test(w)));
  });

  test('V13.3.1 a database file created by hand with a loose mode is tightened before SQLite opens it', async () => {
    const dataDir = join(root, 'by-hand');
    mkdirSync(dataDir, { mode: 0o700 });
    writeFileSync(join(dataDir, 'latchkey.db'), '');
    chmodSync(join(dataDir, 'latchkey.db'), 0o666);
    const run = await start(dataDir);
    assert.equal(modeOf(join(dataDir, 'latchkey.db')), 0o600);
    assert.equal(run.walMode, 0o600);
  });
});

describe('V13 runtime', () => {
  test('V13.4.1 the server runs on a supported Node.js (24 LTS), the same runtime for every child process', () => {
    const major = Number(process.versions.node.split('.')[0]);
    assert.ok(major >= 24, `running on ${process.version}`);
    const child = spawnSync(process.execPath, ['-p', 'process.version'], { encoding: 'utf8' });
    assert.equal(child.stdout.trim(), process.version);
  });
});
