#!/usr/bin/env node
// The whole test suite: type check, lint, then every *.test.ts under src/ and test/ with node's
// test runner, against SQLite and a throwaway PostgreSQL server started here. Installs the
// system packages the suites need (PostgreSQL, Chromium, requests-oauthlib) when missing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemPackages, startPostgres } from './services.mjs';

const root = new URL('..', import.meta.url).pathname;
process.chdir(root);
const started = Date.now();

function step(name, cmd, args) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${name} failed\n0 passed, 1 failed\n`);
    process.exit(1);
  }
}

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (entry === 'node_modules') continue;
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (entry.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

// `npm test -- --quick name…` runs only the matching test files, without the checks (for development).
const quick = process.argv.includes('--quick');
const filter = process.argv.slice(2).filter((a) => a !== '--quick');
process.stdout.write(`== runtime: Node.js ${process.version} (${process.execPath})\n`);
ensureSystemPackages();
if (!quick) {
  step('type check', 'npx', ['tsc', '-p', 'tsconfig.check.json']);
  step('type check of the console (browser JavaScript)', 'npx', ['tsc', '-p', 'assets/console/tsconfig.json']);
  step('lint and format', 'npx', ['biome', 'check', '.']);
  step('build', 'npx', ['tsc', '-p', 'tsconfig.json']);
}

let files = [...findTests('src'), ...findTests('test')].sort();
if (filter.length > 0) files = files.filter((f) => filter.some((x) => f.includes(x)));

const pg = await startPostgres();
const env = { ...process.env, LATCHKEY_TEST_PG_URL: pg.url, LATCHKEY_LOG_LEVEL: process.env.LATCHKEY_LOG_LEVEL ?? 'silent' };

function runNodeTests(label, list, extraEnv) {
  const tapFile = join(mkdtempSync(join(tmpdir(), 'latchkey-tap-')), 'results.tap');
  process.stdout.write(`\n== ${label} (${list.length} files; PostgreSQL at ${pg.url.replace(/\/\/[^@]*@/, '//')})\n`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        '--test-concurrency=2',
        '--test-timeout=300000',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tapFile}`,
        ...list,
      ],
      { stdio: 'inherit', env: { ...env, ...extraEnv } },
    );
    child.on('exit', (c) => {
      const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
      rmSync(tapFile, { force: true });
      const count = (name) => Number(tap.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? 0);
      resolve({ code: c ?? 1, passed: count('pass'), failed: count('fail') + count('cancelled') });
    });
  });
}

const runs = [await runNodeTests('tests', files, {})];
// Suites that declare `@backends sqlite postgres` (in a comment of their first lines) run a second
// time with LATCHKEY_TEST_BACKEND=postgres; suites that loop over the backends themselves do not.
const BACKENDS_MARKER = /^\/\/.*@backends sqlite postgres\s*$/m;
const secondPass = files.filter((f) => BACKENDS_MARKER.test(readFileSync(f, 'utf8').split('\n', 5).join('\n')));
if (secondPass.length > 0 && !process.env.LATCHKEY_TEST_BACKEND) {
  runs.push(await runNodeTests('end-to-end suites again on PostgreSQL', secondPass, { LATCHKEY_TEST_BACKEND: 'postgres' }));
}
await pg.stop();

const code = runs.every((r) => r.code === 0) ? 0 : 1;
const passed = runs.reduce((n, r) => n + r.passed, 0);
const failed = runs.reduce((n, r) => n + r.failed, 0);
process.stdout.write(`\ntest run took ${Math.round((Date.now() - started) / 1000)} s\n`);
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(code === 0 && failed === 0 && passed > 0 ? 0 : 1);
