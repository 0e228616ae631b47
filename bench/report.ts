import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS, type ScenarioId, TARGETS } from './scenarios.js';

/** One measured run of one scenario on one server. */
export interface RunRecord {
  repetition: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  seconds: number;
  poolLimited: boolean;
  /** Server CPU time (user + system, every thread) per 2xx response. */
  cpuMsPerRequest: number;
  rssBytes: number;
  /** Share of one core the load generator used during the run. */
  loadGeneratorCpuShare: number;
}

export type ServerName = 'latchkey' | 'latchkey-defaults' | 'oidc-provider' | 'ceiling' | 'argon2id';

export interface ServerResult {
  runs: RunRecord[];
  median: { requestsPerSecond: number; p50Ms: number; p99Ms: number; cpuMsPerRequest: number; rssBytes: number; loadGeneratorCpuShare: number };
  non2xx: number;
  errors: number;
  /** Any non-2xx response or error makes the scenario invalid on this server. */
  valid: boolean;
  poolLimited: boolean;
}

export interface TargetCheck {
  name: string;
  target: number;
  actual: number | null;
  met: boolean | null;
}

export interface ScenarioReport {
  id: ScenarioId;
  title: string;
  requests: Partial<Record<ServerName, string>>;
  results: Partial<Record<ServerName, ServerResult>>;
  unsupported: Partial<Record<ServerName, string>>;
  ratios: {
    latchkeyVsOidcProvider: number | null;
    latchkeyVsCeiling: number | null;
    latchkeyVsArgon2: number | null;
    /** Latchkey as installed ÷ Latchkey with the bench settings (log level warn, failure limit raised). */
    defaultsVsBenchSettings: number | null;
  };
  checks: TargetCheck[];
  valid: boolean;
}

export interface Report {
  date: string;
  command: string;
  /** The commit measured ("+changes": src/ differed from it). */
  commit: string;
  mode: 'full' | 'smoke';
  machine: { nproc: number; cpuModel: string; node: string; os: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[] };
  settings: { connections: number; warmupSeconds: number; durationSeconds: number; repetitions: number; loadGenerator: string; runtime: string };
  servers: Partial<Record<ServerName, string>>;
  argon2: { options: Record<string, unknown> } | null;
  scenarios: ScenarioReport[];
  rss: { latchkey: number | null; oidcProvider: number | null; met: boolean | null };
  valid: boolean;
  durationSeconds: number;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function summarize(runs: RunRecord[]): ServerResult {
  const m = (f: (r: RunRecord) => number) => median(runs.map(f));
  const non2xx = runs.reduce((a, r) => a + r.non2xx, 0);
  const errors = runs.reduce((a, r) => a + r.errors, 0);
  return {
    runs,
    median: {
      requestsPerSecond: m((r) => r.requestsPerSecond),
      p50Ms: m((r) => r.p50Ms),
      p99Ms: m((r) => r.p99Ms),
      cpuMsPerRequest: m((r) => r.cpuMsPerRequest),
      rssBytes: m((r) => r.rssBytes),
      loadGeneratorCpuShare: m((r) => r.loadGeneratorCpuShare),
    },
    non2xx,
    errors,
    valid: runs.length > 0 && non2xx === 0 && errors === 0 && runs.every((r) => r.ok > 0),
    poolLimited: runs.some((r) => r.poolLimited),
  };
}

function ratio(a: ServerResult | undefined, b: ServerResult | undefined): number | null {
  if (!a || !b || b.median.requestsPerSecond === 0) return null;
  return a.median.requestsPerSecond / b.median.requestsPerSecond;
}

/** Ratios and the issue's targets for one scenario. */
export function evaluate(s: Omit<ScenarioReport, 'ratios' | 'checks' | 'valid'>): ScenarioReport {
  const lk = s.results.latchkey;
  const ratios = {
    latchkeyVsOidcProvider: ratio(lk, s.results['oidc-provider']),
    latchkeyVsCeiling: ratio(lk, s.results.ceiling),
    latchkeyVsArgon2: ratio(lk, s.results.argon2id),
    defaultsVsBenchSettings: ratio(s.results['latchkey-defaults'], lk),
  };
  const t = TARGETS[s.id] ?? {};
  const checks: TargetCheck[] = [];
  const check = (name: string, target: number, actual: number | null) => checks.push({ name, target, actual, met: actual === null ? null : actual >= target });
  if (t.vsOidcProvider !== undefined && s.results['oidc-provider']) {
    check('throughput ÷ oidc-provider', t.vsOidcProvider, ratios.latchkeyVsOidcProvider);
    const op = s.results['oidc-provider'];
    // "p99 latency no worse": oidc-provider's p99 ÷ Latchkey's, at least 1.
    check('p99 no worse than oidc-provider', 1, lk && op && lk.median.p99Ms > 0 ? op.median.p99Ms / lk.median.p99Ms : null);
  }
  if (t.vsCeiling !== undefined) check('throughput ÷ ceiling', t.vsCeiling, ratios.latchkeyVsCeiling);
  if (t.vsArgon2 !== undefined) check('throughput ÷ raw argon2id', t.vsArgon2, ratios.latchkeyVsArgon2);
  if (t.defaultsVsBench !== undefined && s.results['latchkey-defaults']) check('defaults ÷ bench settings', t.defaultsVsBench, ratios.defaultsVsBenchSettings);
  const valid = Object.values(s.results).every((r) => r?.valid);
  return { ...s, ratios, checks, valid };
}

const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(digits));
const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
const SERVER_ORDER: ServerName[] = ['latchkey', 'latchkey-defaults', 'oidc-provider', 'ceiling', 'argon2id'];

export function markdown(r: Report): string {
  const lines: string[] = [];
  lines.push(`# Latchkey benchmark${r.mode === 'smoke' ? ' (smoke run — figures mean nothing)' : ''}`, '');
  lines.push(`- Date: ${r.date}`);
  lines.push(`- Command: \`${r.command}\` (commit ${r.commit})`);
  lines.push(
    `- Machine: ${r.machine.nproc} × ${r.machine.cpuModel}, ${r.machine.os}, Node.js ${r.machine.node}; load average ${r.machine.loadAverageAtStart.map((x) => x.toFixed(2)).join(' ')} at start, ${r.machine.loadAverageAtEnd.map((x) => x.toFixed(2)).join(' ')} at end`,
  );
  lines.push(
    `- Load: ${r.settings.loadGenerator}, ${r.settings.connections} connections, closed loop, ${r.settings.warmupSeconds} s warm-up then ${r.settings.durationSeconds} s measured; ${r.settings.repetitions} repetitions interleaved (Latchkey, oidc-provider, ceiling, …), medians shown`,
  );
  for (const name of SERVER_ORDER) if (r.servers[name]) lines.push(`- ${name}: ${r.servers[name]}`);
  lines.push(`- Result: ${r.valid ? 'every scenario ran with 0 non-2xx and 0 errors' : '**INVALID: some runs had non-2xx responses or errors (see below)**'}`);
  lines.push('');
  lines.push('| Scenario | Server | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU ms/req | server RSS MiB | client CPU |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of r.scenarios) {
    for (const name of SERVER_ORDER) {
      const x = s.results[name];
      if (x) {
        const flags = `${x.valid ? '' : ' **invalid**'}${x.poolLimited ? ' (pool-limited)' : ''}`;
        lines.push(
          `| ${s.title} | ${name}${flags} | ${fmt(x.median.requestsPerSecond)} | ${fmt(x.median.p50Ms, 2)} | ${fmt(x.median.p99Ms, 2)} | ${x.non2xx} | ${x.errors} | ${fmt(x.median.cpuMsPerRequest, 3)} | ${mib(x.median.rssBytes)} | ${fmt(x.median.loadGeneratorCpuShare * 100)} % |`,
        );
      } else if (s.unsupported[name]) {
        lines.push(`| ${s.title} | ${name} | — | | | | | | | ${s.unsupported[name]} |`);
      }
    }
  }
  lines.push('', '## Ratios and targets', '');
  lines.push('| Scenario | Latchkey ÷ oidc-provider | Latchkey ÷ ceiling | Latchkey ÷ raw argon2id | defaults ÷ bench settings | Targets |');
  lines.push('|---|---:|---:|---:|---:|---|');
  for (const s of r.scenarios) {
    const checks = s.checks.map((c) => `${c.met === null ? '?' : c.met ? '✅' : '❌'} ${c.name} ≥ ${c.target} (${fmt(c.actual, 2)})`).join('; ');
    lines.push(
      `| ${s.title} | ${fmt(s.ratios.latchkeyVsOidcProvider, 2)} | ${fmt(s.ratios.latchkeyVsCeiling, 2)} | ${fmt(s.ratios.latchkeyVsArgon2, 2)} | ${fmt(s.ratios.defaultsVsBenchSettings, 2)} | ${checks || '–'} |`,
    );
  }
  lines.push('');
  if (r.rss.latchkey !== null) {
    lines.push(
      `Server RSS after the whole run: Latchkey ${mib(r.rss.latchkey)} MiB, oidc-provider ${r.rss.oidcProvider === null ? '–' : `${mib(r.rss.oidcProvider)} MiB`} — ${r.rss.met === null ? '?' : r.rss.met ? '✅' : '❌'} Latchkey no higher.`,
    );
  }
  if (r.argon2)
    lines.push('', `Raw argon2id: \`verify()\` of @node-rs/argon2 with ${JSON.stringify(r.argon2.options)}, the same in-flight count as connections.`);
  lines.push('');
  lines.push(
    'Server CPU is user + system time of the server process (every thread) over the measured seconds, divided by the 2xx responses; client CPU is the load generator’s share of one core. Any non-2xx response or connection error marks a run invalid; nothing is dropped. "pool-limited": the pre-minted one-time requests ran out before the end, so that run is shorter (its rate still holds).',
  );
  return `${lines.join('\n')}\n`;
}

export function writeReport(dir: string, r: Report): { md: string; json: string } {
  mkdirSync(dir, { recursive: true });
  const md = join(dir, 'latest.md');
  const json = join(dir, 'latest.json');
  writeFileSync(md, markdown(r));
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  return { md, json };
}

export { SCENARIOS };
