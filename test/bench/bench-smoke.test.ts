import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../bench/report.js';
import { SCENARIO_IDS } from '../../bench/scenarios.js';
import { ARGON2_OPTIONS } from '../../src/adapters/argon2.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * The benchmark in its 1-second mode (`bench/run.ts --smoke`), so that it cannot rot: every
 * scenario must run on every server that offers it with 0 non-2xx responses and 0 errors, and the
 * report must have its documented shape. The figures themselves are not asserted.
 */
describe('npm run bench, smoke mode', () => {
  const out = mkdtempSync(join(tmpdir(), 'latchkey-bench-smoke-'));
  let report: Report;
  let markdown: string;
  let exitCode: number | null;
  let output = '';

  before(async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/run.ts'), '--smoke', '--out', out], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    exitCode = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.ok(existsSync(join(out, 'latest.json')), `the bench wrote no report:\n${output}`);
    report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as Report;
    markdown = readFileSync(join(out, 'latest.md'), 'utf8');
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('exits 0 and says every scenario ran cleanly', () => {
    assert.equal(exitCode, 0, output);
    assert.equal(report.valid, true);
    assert.equal(report.mode, 'smoke');
  });

  it('runs every scenario on Latchkey and the ceiling, and on oidc-provider where it has the feature', () => {
    assert.deepEqual(
      report.scenarios.map((s) => s.id),
      [...SCENARIO_IDS],
    );
    for (const s of report.scenarios) {
      const expected = [
        'latchkey',
        'latchkey-defaults',
        'ceiling',
        ...(s.id === 'password' || s.id === 'me_oauth1' ? [] : ['oidc-provider']),
        ...(s.id === 'password' ? ['argon2id'] : []),
      ];
      assert.deepEqual(Object.keys(s.results).sort(), expected.sort(), s.id);
      for (const [server, r] of Object.entries(s.results)) {
        assert.equal(r.runs.length, report.settings.repetitions, `${s.id} on ${server}`);
        assert.equal(r.non2xx, 0, `${s.id} on ${server}: non-2xx ${JSON.stringify(r.runs.map((x) => x.statusCodes))}`);
        assert.equal(r.errors, 0, `${s.id} on ${server}: errors`);
        assert.equal(r.valid, true, `${s.id} on ${server}`);
        for (const run of r.runs) {
          assert.ok(run.ok > 0 && run.requestsPerSecond > 0, `${s.id} on ${server}: no successful request`);
          assert.ok(run.p50Ms > 0 && run.p99Ms >= run.p50Ms, `${s.id} on ${server}: latencies`);
          assert.ok(run.cpuMsPerRequest >= 0 && run.rssBytes > 0, `${s.id} on ${server}: CPU and RSS`);
        }
      }
    }
    const password = report.scenarios.find((s) => s.id === 'password');
    assert.match(password?.unsupported['oidc-provider'] ?? '', /password grant/);
    assert.match(report.scenarios.find((s) => s.id === 'me_oauth1')?.unsupported['oidc-provider'] ?? '', /OAuth 1\.0a/);
  });

  it('reports the ratios, the targets and the machine', () => {
    const cc = report.scenarios.find((s) => s.id === 'client_credentials');
    assert.ok(cc?.ratios.latchkeyVsOidcProvider && cc.ratios.latchkeyVsOidcProvider > 0);
    assert.ok(cc?.ratios.latchkeyVsCeiling && cc.ratios.latchkeyVsCeiling > 0);
    assert.deepEqual(
      cc?.checks.map((c) => c.name).sort(),
      ['defaults ÷ bench settings', 'p99 no worse than oidc-provider', 'throughput ÷ ceiling', 'throughput ÷ oidc-provider'].sort(),
    );
    assert.ok(cc?.ratios.defaultsVsBenchSettings && cc.ratios.defaultsVsBenchSettings > 0, 'Latchkey as installed is measured beside the bench settings');
    assert.ok(report.scenarios.find((s) => s.id === 'password')?.ratios.latchkeyVsArgon2);
    assert.ok(report.machine.nproc >= 1 && report.machine.cpuModel.length > 0);
    assert.ok(report.rss.latchkey && report.rss.oidcProvider);
    assert.equal(report.argon2?.options.memoryCost, ARGON2_OPTIONS.memoryCost);
    assert.equal(report.argon2?.options.timeCost, ARGON2_OPTIONS.timeCost);
    assert.match(markdown, /^# Latchkey benchmark/);
    assert.match(markdown, /\| Scenario \| Server \| req\/s \| p50 ms \| p99 ms \| non-2xx \| errors \|/);
    assert.match(markdown, /Latchkey ÷ oidc-provider/);
    assert.match(markdown, /Command: `npm run bench -- --smoke/);
  });
});
