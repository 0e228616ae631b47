#!/usr/bin/env node
// The long fuzz run: test/hardening/fuzz.test.ts against SQLite and a throwaway PostgreSQL, with
// LATCHKEY_FUZZ_RUNS runs per endpoint (default 1000) and no time limit. LATCHKEY_FUZZ_SEED picks
// another seed (the default one is the seed of `npm test`).
import { spawn } from 'node:child_process';
import { ensureSystemPackages, startPostgres } from './services.mjs';

process.chdir(new URL('..', import.meta.url).pathname);
ensureSystemPackages();
const pg = await startPostgres();
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-timeout=0', 'test/hardening/fuzz.test.ts'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    LATCHKEY_TEST_PG_URL: pg.url,
    LATCHKEY_FUZZ_RUNS: process.env.LATCHKEY_FUZZ_RUNS ?? '1000',
    LATCHKEY_LOG_LEVEL: process.env.LATCHKEY_LOG_LEVEL ?? 'silent',
  },
});
const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
await pg.stop();
process.exit(code);
