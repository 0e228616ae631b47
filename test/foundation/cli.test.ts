import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/services.mjs';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

function envFor(dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, LATCHKEY_DATA_DIR: dir, LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`, LATCHKEY_LOG_LEVEL: 'silent', ...extra };
}

async function latchkey(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const r = await run(process.execPath, [...CLI, ...args], { env });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('latchkey CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
  const env = envFor(dir, { LATCHKEY_MASTER_KEY: randomBytes(32).toString('hex') });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('documents every option in --help and config', async () => {
    const help = await latchkey(env, '--help');
    for (const cmd of ['serve', 'migrate', 'client', 'user', 'audit', 'config']) assert.match(help.stdout, new RegExp(cmd));
    const config = await latchkey(env, 'config');
    assert.match(config.stdout, /LATCHKEY_DATABASE_URL/);
    assert.match(config.stdout, /LATCHKEY_MASTER_KEY/);
  });

  it('names the bad configuration key and exits 2', async () => {
    const r = await latchkey({ ...env, LATCHKEY_PORT: 'x' }, 'config', '--check');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /LATCHKEY_PORT/);
  });

  it('creates, lists, shows, updates, approves, disapproves and removes a client, and audits it', async () => {
    const created = await latchkey(
      env,
      'client',
      'create',
      '--type',
      'oidc',
      '--name',
      'Build dashboard',
      '--redirect-uri',
      'https://app.example/cb',
      '--grant-type',
      'authorization_code',
      '--grant-type',
      'refresh_token',
      '--response-type',
      'code',
      '--json',
    );
    assert.equal(created.code, 0, created.stderr);
    const c = JSON.parse(created.stdout) as { client_key: string; client_secret: string; status: string; grant_types: string[] };
    assert.equal(c.status, 'pending');
    assert.ok(c.client_secret.length >= 43);
    assert.deepEqual(c.grant_types, ['authorization_code', 'refresh_token']);

    const list = await latchkey(env, 'client', 'list', '--status', 'pending', '--json');
    assert.equal((JSON.parse(list.stdout) as { total: number }).total, 1);
    const approved = await latchkey(env, 'client', 'approve', c.client_key);
    assert.match(approved.stdout, /now approved/);
    const shown = JSON.parse((await latchkey(env, 'client', 'show', c.client_key, '--json')).stdout) as { status: string; status_changed_by: string };
    assert.deepEqual([shown.status, shown.status_changed_by], ['approved', 'cli']);
    assert.ok(!(await latchkey(env, 'client', 'show', c.client_key)).stdout.includes(c.client_secret));

    const updated = await latchkey(env, 'client', 'update', c.client_key, '--name', 'Renamed', '--generate-secret', '--json');
    const u = JSON.parse(updated.stdout) as { name: string; client_secret: string; client_key: string };
    assert.equal(u.name, 'Renamed');
    assert.equal(u.client_key, c.client_key);
    assert.notEqual(u.client_secret, c.client_secret);

    assert.match((await latchkey(env, 'client', 'disapprove', c.client_key)).stdout, /disapproved/);
    const bad = await latchkey(env, 'client', 'create', '--type', 'oauth2', '--name', 'X', '--redirect-uri', 'http://evil.example/cb');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /redirect_uris/);
    assert.match((await latchkey(env, 'client', 'remove', c.client_key)).stdout, /removed/);
    const missing = await latchkey(env, 'client', 'show', c.client_key);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /not found/);

    const audit = JSON.parse((await latchkey(env, 'audit', 'list', '--target', c.client_key, '--json')).stdout) as { items: Array<{ action: string }> };
    assert.deepEqual(audit.items.map((e) => e.action).reverse(), ['client.create', 'client.approve', 'client.update', 'client.disapprove', 'client.remove']);
  });

  it('creates a client_credentials client without response types or redirect URIs', async () => {
    const r = await latchkey(env, 'client', 'create', '--type', 'oauth2', '--name', 'Service', '--grant-type', 'client_credentials', '--json');
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as { response_types: string[]; redirect_uris: string[] };
    assert.deepEqual([c.response_types, c.redirect_uris], [[], []]);
  });

  it('manages users and roles', async () => {
    const add = await latchkey(env, 'user', 'add', 'Carol', '--password', 'carol-password', '--role', 'user_manager', '--json');
    assert.equal(add.code, 0, add.stderr);
    assert.match((await latchkey(env, 'user', 'grant-role', 'carol', 'server_administrator')).stdout, /server_administrator/);
    assert.match((await latchkey(env, 'user', 'revoke-role', 'carol', 'user_manager')).stdout, /server_administrator/);
    assert.match((await latchkey(env, 'user', 'disable', 'carol')).stdout, /disabled/);
    const shown = JSON.parse((await latchkey(env, 'user', 'show', 'CAROL', '--json')).stdout) as { enabled: boolean; roles: string[] };
    assert.deepEqual([shown.enabled, shown.roles], [false, ['server_administrator']]);
    assert.match((await latchkey(env, 'user', 'enable', 'carol')).stdout, /enabled/);
    assert.match((await latchkey(env, 'user', 'set-password', 'carol', '--password', 'another-password')).stdout, /set/);
    const bad = await latchkey(env, 'user', 'grant-role', 'carol', 'emperor');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown role/);
    assert.match((await latchkey(env, 'user', 'list')).stdout, /Carol/);
  });
});

describe('latchkey serve on an empty database', () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-serve-'));
  let child: ChildProcess | undefined;
  after(() => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the master key file (0600) and an administrator whose password is printed once', async () => {
    const port = await freePort();
    child = spawn(process.execPath, [...CLI, 'serve'], { env: envFor(dir, { LATCHKEY_PORT: String(port), LATCHKEY_LOG_LEVEL: 'info' }) });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const deadline = Date.now() + 30_000;
    while (!out.includes('listening on') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(out, /listening on http:\/\/127\.0\.0\.1:\d+/);
    const password = out.match(/password:\s+(\S+)/)?.[1] ?? '';
    assert.ok(password.length >= 20, out);
    assert.equal(out.split(password).length - 1, 1, 'printed exactly once, never logged');
    assert.equal(statSync(join(dir, 'master.key')).mode & 0o777, 0o600);
    const r = await fetch(`http://127.0.0.1:${port}/admin/api/clients`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` },
    });
    assert.equal(r.status, 200);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(out.split(password).length - 1, 1, 'not in the request logs either');
  });
});
