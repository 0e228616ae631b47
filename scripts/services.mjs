// System services and packages for the test suites, started and installed by the project itself.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function has(cmd, args = ['--version']) {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export function postgresBin() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : null;
}

/** Installs Debian packages the suites need (PostgreSQL server, Chromium, requests-oauthlib, OpenLDAP) when missing. */
export function ensureSystemPackages() {
  const missing = [];
  if (!postgresBin()) missing.push('postgresql');
  if (!existsSync('/usr/bin/chromium')) missing.push('chromium');
  if (spawnSync('/usr/bin/python3', ['-c', 'import requests_oauthlib'], { stdio: 'ignore' }).status !== 0) missing.push('python3-requests-oauthlib');
  // The directory suites start their own slapd from a generated config, never the system service.
  if (!existsSync('/usr/sbin/slapd')) missing.push('slapd');
  if (!existsSync('/usr/bin/ldapadd')) missing.push('ldap-utils');
  if (missing.length === 0) return;
  if (!has('apt-get', ['--version'])) {
    process.stdout.write(`cannot install ${missing.join(', ')}: apt-get is not available\n`);
    return;
  }
  process.stdout.write(`== installing ${missing.join(', ')} (Debian packages)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a throwaway PostgreSQL cluster on a loopback port. initdb and postgres refuse to run as
 * root, so as root they run as the "postgres" user.
 */
export async function startPostgres() {
  const bin = postgresBin();
  if (!bin) throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-'));
  chmodSync(dir, 0o777);
  const data = join(dir, 'data');
  const port = await freePort();
  const asPg = process.getuid?.() === 0 ? (cmd, args) => ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : (cmd, args) => [cmd, args];
  const run = (cmd, args) => {
    const [c, a] = asPg(join(bin, cmd), args);
    execFileSync(c, a, { stdio: ['ignore', 'ignore', 'inherit'] });
  };
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
  run('pg_ctl', [
    '-D',
    data,
    '-l',
    join(dir, 'log'),
    '-o',
    `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`,
    '-w',
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir,
    data,
    bin,
    async stop() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
