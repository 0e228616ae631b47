import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { CLI_ACTOR } from '../../src/cli/context.js';
import { openApp } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load.js';
import type { Client } from '../../src/core/clients/client.js';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

/** A key as the generator made them before: 128 random bits in base64url, drawn until one fits. */
function drawKey(fits: (key: string) => boolean): string {
  for (;;) {
    const key = randomBytes(16).toString('base64url');
    if (fits(key)) return key;
  }
}

function client(key: string): Client {
  return {
    key,
    type: 'oidc',
    name: `Client ${key}`,
    status: 'pending',
    secretSealed: null,
    isPublic: true,
    requirePkce: true,
    redirectUris: ['https://app.example/cb'],
    postLogoutRedirectUris: [],
    grantTypes: ['authorization_code'],
    responseTypes: ['code'],
    callbackUrl: null,
    rsaPublicKey: null,
    metadata: {},
    createdVia: 'test',
    resourceServer: false,
    createdAt: 1000,
    updatedAt: 1000,
    statusChangedAt: null,
    statusChangedBy: null,
    lastUsedAt: null,
    version: 1,
  };
}

/** The documented CLI with client keys that start with "-" (about one in 64 of those generated before). */
describe('latchkey client commands with keys that start with "-"', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-keys-'));
  const vars = {
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`,
    LATCHKEY_LOG_LEVEL: 'silent',
    LATCHKEY_MASTER_KEY: randomBytes(32).toString('hex'),
  };
  const env = { ...process.env, ...vars };
  const keys = {
    dash: drawKey((k) => k.startsWith('-') && !k.startsWith('--') && !k.startsWith('-h')),
    double: drawKey((k) => k.startsWith('--')),
    // -h is the help flag: "-hXYZ" must not be read as help followed by flags.
    help: drawKey((k) => k.startsWith('-h')),
  };
  const plain = drawKey((k) => /^[A-Za-z0-9]/.test(k));

  async function latchkey(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const r = await run(process.execPath, [...CLI, ...args], { env });
      return { ...r, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }
  const status = async (key: string) => (JSON.parse((await latchkey('client', 'show', '--json', '--', key)).stdout) as { status: string }).status;

  before(async () => {
    // Inserted directly: newly generated keys never start with "-".
    const app = await openApp(loadConfig(vars));
    try {
      for (const key of [...Object.values(keys), plain]) await app.stores.clients.insert(client(key));
    } finally {
      await app.close();
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('show, approve, disapprove, update and remove take such a key as their argument, before or after the options', async () => {
    for (const [shape, key] of Object.entries(keys)) {
      const shown = await latchkey('client', 'show', key, '--json');
      assert.equal(shown.code, 0, `${shape} ${key}: ${shown.stderr}`);
      assert.equal((JSON.parse(shown.stdout) as { client_key: string }).client_key, key);

      const approved = await latchkey('client', 'approve', key);
      assert.equal(approved.code, 0, `${shape} ${key}: ${approved.stderr}`);
      assert.equal(approved.stdout, `${key} is now approved\n`);
      assert.equal(await status(key), 'approved');

      const disapproved = await latchkey('client', 'disapprove', '--json', key);
      assert.equal(disapproved.code, 0, disapproved.stderr);
      assert.equal((JSON.parse(disapproved.stdout) as { status: string }).status, 'disapproved');

      const renamed = await latchkey('client', 'update', key, '--name', `Renamed ${shape}`, '--json');
      assert.equal(renamed.code, 0, renamed.stderr);
      assert.equal((JSON.parse(renamed.stdout) as { name: string }).name, `Renamed ${shape}`);
      const again = await latchkey('client', 'update', '--name', `Again ${shape}`, key);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, `updated ${key}\n`);
    }
    const removed = await latchkey('client', 'remove', keys.dash);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `removed ${keys.dash}\n`);
    assert.match((await latchkey('client', 'show', '--', keys.dash)).stderr, /not found/);
  });

  it('new keys never start with "-", even from random bytes that used to make one', async () => {
    const dashFirst = { bytes: (n: number) => Buffer.alloc(n, 0xf8) };
    const app = await openApp(loadConfig(vars), { random: dashFirst });
    try {
      const { client: c } = await app.clientAdmin.create(
        { type: 'oauth2', name: 'Fresh', redirect_uris: ['https://app.example/cb'], grant_types: ['authorization_code'], response_types: ['code'] },
        CLI_ACTOR,
        'cli',
      );
      assert.match(c.key, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      await app.clientAdmin.remove(c.key, CLI_ACTOR);
    } finally {
      await app.close();
    }
  });

  it('"--" ends the options, so every key is taken as it is', async () => {
    const approved = await latchkey('client', 'approve', '--json', '--', keys.double);
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal((JSON.parse(approved.stdout) as { status: string }).status, 'approved');
    const renamed = await latchkey('client', 'update', '--name', 'After the double dash', '--', keys.help);
    assert.equal(renamed.code, 0, renamed.stderr);
    assert.equal((await latchkey('client', 'remove', '--', keys.help)).code, 0);
    assert.equal((await latchkey('client', 'approve', '--', plain)).code, 0);
  });

  it('refuses mistyped options as before and changes nothing: an argument is a key only when a client has exactly that key', async () => {
    const before = await status(plain);
    for (const args of [
      ['approve', '--jsno'],
      ['disapprove', '-x'],
      ['remove', `${keys.double}x`],
      ['remove', keys.double.slice(0, -1)],
      ['show', '--nmae'],
      ['update', '--nmae', 'x', plain],
      ['update', plain, '--nmae', 'x'],
      ['disapprove', plain, '--jsno'],
      ['update', '--name=x', '--require-pkcee', plain],
    ]) {
      const r = await latchkey('client', ...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, /unknown option|too many arguments/, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '', args.join(' '));
    }
    assert.equal(await status(plain), before);
    assert.equal(await status(keys.double), 'approved', 'a near miss of a key touched nothing');
    // The help flag keeps its meaning.
    const help = await latchkey('client', 'approve', '-h');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: latchkey client approve/);
    assert.match(help.stdout, /latchkey client approve -- -/, 'the help shows "--" before a key');
  });
});
