// `npm run bench`: Latchkey side by side with node-oidc-provider and a bare Fastify ceiling, each in
// its own process on loopback, driven by the same closed-loop load generator. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildRuntime, ROOT, type Runtime, tsxRuntime } from './lib/runtime.js';
import { type LoadResult, RequestPool, type RequestSource, type RequestSpec, runLoad } from './load.js';
import { evaluate, type Report, type RunRecord, type ScenarioReport, type ServerName, type ServerResult, summarize, writeReport } from './report.js';
import { isScenarioId, SCENARIOS, type ScenarioId, type Target, type Unsupported, type Workload } from './scenarios.js';
import { type CeilingScenario, startCeiling } from './targets/ceiling.js';
import { startLatchkey } from './targets/latchkey.js';
import { startOidcProvider } from './targets/oidc-provider.js';

export interface BenchOptions {
  smoke: boolean;
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
  repetitions: number;
  scenarios: ScenarioId[];
  build: boolean;
  out: string;
  command: string;
  /** Writes a V8 CPU profile of the Latchkey process to .tmp/bench-profiles (node --cpu-prof). */
  profile: boolean;
  /** Runs the servers from the last build in .tmp/bench-build without compiling again. */
  reuseBuild: boolean;
  /** Also measures Latchkey as installed (request log at info, default limits), beside the bench settings. */
  defaults: boolean;
}

const T0 = performance.now();
const log = (line: string) => process.stderr.write(`[bench ${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      smoke: { type: 'boolean', default: false },
      connections: { type: 'string' },
      warmup: { type: 'string' },
      duration: { type: 'string' },
      repetitions: { type: 'string' },
      scenarios: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      out: { type: 'string' },
      profile: { type: 'boolean', default: false },
      'reuse-build': { type: 'boolean', default: false },
      'no-defaults': { type: 'boolean', default: false },
    },
  });
  const smoke = values.smoke ?? false;
  const num = (v: string | undefined, fallback: number) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${v}`);
    return n;
  };
  const scenarios = values.scenarios ? values.scenarios.split(',').map((s) => s.trim()) : SCENARIOS.map((s) => s.id);
  for (const s of scenarios) if (!isScenarioId(s)) throw new Error(`unknown scenario "${s}" (known: ${SCENARIOS.map((x) => x.id).join(', ')})`);
  return {
    smoke,
    connections: num(values.connections, smoke ? 4 : 10),
    warmupSeconds: num(values.warmup, smoke ? 0.2 : 1),
    durationSeconds: num(values.duration, smoke ? 1 : 5),
    repetitions: num(values.repetitions, smoke ? 1 : 3),
    scenarios: scenarios as ScenarioId[],
    build: !(smoke || values['no-build']),
    out: values.out ?? join(ROOT, 'bench', 'results'),
    profile: values.profile ?? false,
    reuseBuild: values['reuse-build'] ?? false,
    defaults: !(values['no-defaults'] ?? false),
    command: ['npm run bench', ...(argv.length ? ['--', ...argv] : [])].join(' '),
  };
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) return m[1].trim();
  } catch {}
  return cpus()[0]?.model ?? 'unknown';
}

/** The commit measured, with "+changes" when the working tree differs from it. */
function gitCommit(): string {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  if (!head) return 'unknown';
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  return dirty ? `${head}+changes` : head;
}

/** Sends one request and returns its status and body (to check a workload and size the ceiling). */
async function probe(baseUrl: string, r: RequestSpec): Promise<{ status: number; body: string }> {
  const res = await fetch(`${baseUrl}${r.path}`, { method: r.method, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) });
  return { status: res.status, body: await res.text() };
}

/** Per (scenario, server): the rate seen so far, used to size the next pool. */
class PoolSizer {
  rate = 0;
  /** One-time requests minted per second so far (codes must be used within their 60 s lifetime). */
  mintRate = 0;
  constructor(private readonly o: BenchOptions) {}
  /** One-time requests for a run of `seconds`, with room to spare; a first guess before any run. */
  count(seconds: number): number {
    const c = this.o.connections;
    if (this.rate === 0) return Math.max(c * (this.o.smoke ? 10 : 30), this.o.smoke ? 40 : 300);
    let n = Math.ceil(this.rate * seconds * 1.6) + 2 * c;
    // No more than can be minted in MAX_MINT_SECONDS: the first code must still be valid at the end.
    if (this.mintRate > 0) n = Math.min(n, Math.max(2 * c, Math.floor(this.mintRate * MAX_MINT_SECONDS)));
    // The smoke run checks that every scenario works, not its rate: small pools keep it short.
    return this.o.smoke ? Math.min(n, 100) : n;
  }
  seen(r: LoadResult): void {
    this.rate = Math.max(this.rate, r.requestsPerSecond);
  }
  minted(count: number, seconds: number): void {
    if (seconds > 0) this.mintRate = count / seconds;
  }
}

/** Authorization codes live 60 s on both servers; minting a pool may take at most this long. */
const MAX_MINT_SECONDS = 35;

async function mintPool(target: Target, w: Extract<Workload, { kind: 'pool' }>, sizer: PoolSizer, seconds: number, scenario: string): Promise<RequestPool> {
  const count = sizer.count(seconds);
  const t0 = performance.now();
  const items = await w.mint(count);
  const took = (performance.now() - t0) / 1000;
  sizer.minted(count, took);
  log(`  ${target.name}: minted ${count} one-time requests for ${scenario} in ${took.toFixed(1)} s`);
  return new RequestPool(items);
}

/**
 * One warm-up and one measured run of a scenario on a server. One-time requests are minted just
 * before each run (codes expire within a minute), sized from the rates seen so far.
 */
async function measure(o: BenchOptions, target: Target, w: Workload, sizer: PoolSizer, scenario: ScenarioId, repetition: number): Promise<RunRecord> {
  const source = async (seconds: number): Promise<RequestSource> => {
    if (w.kind === 'fixed') return { kind: 'fixed', request: w.request };
    if (w.kind === 'cycle') return { kind: 'pool', pool: new RequestPool(w.sample, true) };
    const pool = await mintPool(target, w, sizer, seconds, scenario);
    await sleep(o.smoke ? 50 : 300);
    return { kind: 'pool', pool };
  };
  const base = { baseUrl: target.baseUrl, connections: o.connections };
  const warmed = await runLoad({ ...base, durationSeconds: o.warmupSeconds, source: await source(o.warmupSeconds) });
  sizer.seen(warmed);
  if (warmed.non2xx > 0 || warmed.errors > 0)
    log(`  ${target.name} warm-up: ${warmed.non2xx} non-2xx, ${warmed.errors} errors ${JSON.stringify(warmed.statusCodes)}`);
  const main = await source(o.durationSeconds);
  await sleep(o.smoke ? 20 : 200);
  const cpu0 = target.cpuMs();
  const r = await runLoad({ ...base, durationSeconds: o.durationSeconds, source: main });
  const cpuMs = target.cpuMs() - cpu0;
  sizer.seen(r);
  const record: RunRecord = {
    repetition,
    requestsPerSecond: r.requestsPerSecond,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    ok: r.ok,
    non2xx: r.non2xx,
    errors: r.errors,
    statusCodes: r.statusCodes,
    seconds: r.seconds,
    poolLimited: r.poolLimited,
    cpuMsPerRequest: r.ok > 0 ? cpuMs / r.ok : 0,
    rssBytes: target.rssBytes(),
    loadGeneratorCpuShare: r.seconds > 0 ? r.loadGeneratorCpuMs / (r.seconds * 1000) : 0,
  };
  log(
    `  ${scenario} #${repetition} ${target.name}: ${r.requestsPerSecond.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.non2xx} non-2xx, ${r.errors} errors${r.poolLimited ? ', pool-limited' : ''}${r.non2xx ? ` ${JSON.stringify(r.statusCodes)}` : ''}`,
  );
  return record;
}

/** The raw argon2id verification rate, in a process of its own (bench/servers/argon2.ts). */
function measureArgon2(o: BenchOptions, runtime: Runtime, repetition: number): Promise<{ record: RunRecord; options: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, runtime.server('argon2'), {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        BENCH_CONCURRENCY: String(o.connections),
        BENCH_DURATION: String(o.durationSeconds),
        BENCH_WARMUP: String(o.warmupSeconds),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`argon2 measurement failed (${code}): ${out}`);
        const line = out.trim().split('\n').pop() ?? '';
        const j = JSON.parse(line) as {
          options: Record<string, unknown>;
          verifications: number;
          seconds: number;
          perSecond: number;
          p50Ms: number;
          p99Ms: number;
          cpuMs: number;
          rssBytes: number;
        };
        log(`  password #${repetition} argon2id: ${j.perSecond.toFixed(1)} verifications/s, p50 ${j.p50Ms.toFixed(1)} ms`);
        resolve({
          options: j.options,
          record: {
            repetition,
            requestsPerSecond: j.perSecond,
            p50Ms: j.p50Ms,
            p99Ms: j.p99Ms,
            ok: j.verifications,
            non2xx: 0,
            errors: 0,
            statusCodes: {},
            seconds: j.seconds,
            poolLimited: false,
            cpuMsPerRequest: j.verifications > 0 ? j.cpuMs / j.verifications : 0,
            rssBytes: j.rssBytes,
            loadGeneratorCpuShare: 0,
          },
        });
      } catch (err) {
        reject(err);
      }
    });
  });
}

/** The ceiling mirrors Latchkey: same request shapes and paths, a JSON answer of the same size. */
async function ceilingScenarios(latchkey: Target, scenarios: ScenarioId[]): Promise<Partial<Record<ScenarioId, CeilingScenario>>> {
  const out: Partial<Record<ScenarioId, CeilingScenario>> = {};
  for (const s of scenarios) {
    const w = await latchkey.workload(s);
    if (w.kind === 'unsupported') continue;
    const sample = w.kind === 'fixed' ? [w.request] : w.kind === 'cycle' ? w.sample : await w.mint(20);
    const first = sample[0] as RequestSpec;
    const answer = await probe(latchkey.baseUrl, first);
    if (answer.status < 200 || answer.status > 299) throw new Error(`Latchkey answered ${answer.status} to the ${s} request: ${answer.body.slice(0, 300)}`);
    const grantType = first.body ? (new URLSearchParams(first.body).get('grant_type') ?? undefined) : undefined;
    const scheme = first.headers.authorization?.split(' ')[0]?.toLowerCase();
    out[s] = {
      route: {
        method: first.method,
        path: first.path,
        ...(grantType ? { grantType } : {}),
        ...(first.method === 'GET' && scheme ? { authScheme: scheme } : {}),
        size: Buffer.byteLength(answer.body),
      },
      workload: w.kind === 'fixed' ? w : { kind: 'cycle', sample },
    };
  }
  return out;
}

export async function runBench(o: BenchOptions): Promise<{ report: Report; files: { md: string; json: string } }> {
  const started = Date.now();
  const loadAverageAtStart = loadavg();
  const built = o.build ? buildRuntime(log, o.reuseBuild) : tsxRuntime();
  const profileDir = join(ROOT, '.tmp', 'bench-profiles');
  const runtime: Runtime = o.profile ? { ...built, latchkey: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...built.latchkey] } : built;
  if (o.profile) log(`CPU profile of Latchkey goes to ${profileDir}`);
  const targets: Target[] = [];
  try {
    log('starting Latchkey…');
    const latchkey = await startLatchkey(runtime);
    targets.push(latchkey);
    if (o.defaults) {
      log('starting Latchkey with every setting at its default…');
      targets.push(await startLatchkey(runtime, 'defaults'));
    }
    log('starting oidc-provider…');
    const oidc = await startOidcProvider(runtime);
    targets.push(oidc);
    log('sizing the ceiling from Latchkey’s answers…');
    const ceiling = await startCeiling(runtime, await ceilingScenarios(latchkey, o.scenarios));
    targets.push(ceiling);
    const servers: Report['servers'] = {};
    for (const t of targets) servers[t.name] = t.description;

    const scenarios: ScenarioReport[] = [];
    let argon2Options: Record<string, unknown> | null = null;
    for (const id of o.scenarios) {
      const def = SCENARIOS.find((s) => s.id === id);
      if (!def) continue;
      log(`scenario ${id}`);
      const prepared: Array<{ target: Target; w: Workload; sizer: PoolSizer }> = [];
      const unsupported: ScenarioReport['unsupported'] = {};
      const requests: ScenarioReport['requests'] = {};
      for (const t of targets) {
        const w: Workload | Unsupported = await t.workload(id);
        if (w.kind === 'unsupported') {
          unsupported[t.name] = w.reason;
          continue;
        }
        const sizer = new PoolSizer(o);
        const shape = w.kind === 'fixed' ? w.request : w.kind === 'cycle' ? w.sample[0] : undefined;
        if (w.kind === 'fixed') {
          // A request the server refuses would make every run invalid: say why at once.
          const answer = await probe(t.baseUrl, w.request);
          if (answer.status < 200 || answer.status > 299) log(`  ${t.name} answers ${answer.status} to the ${id} request: ${answer.body.slice(0, 200)}`);
        }
        requests[t.name] = describe(shape ?? (w.kind === 'pool' ? ((await w.mint(1))[0] as RequestSpec) : undefined));
        prepared.push({ target: t, w, sizer });
      }
      const runs = new Map<ServerName, RunRecord[]>();
      for (let rep = 1; rep <= o.repetitions; rep++) {
        for (const p of prepared) {
          const list = runs.get(p.target.name) ?? [];
          list.push(await measure(o, p.target, p.w, p.sizer, id, rep));
          runs.set(p.target.name, list);
        }
        if (id === 'password') {
          const a = await measureArgon2(o, runtime, rep);
          argon2Options = a.options;
          runs.set('argon2id', [...(runs.get('argon2id') ?? []), a.record]);
          requests.argon2id = 'verify(hash, password) of @node-rs/argon2, no HTTP';
        }
      }
      const results: Partial<Record<ServerName, ServerResult>> = {};
      for (const [name, list] of runs) results[name] = summarize(list);
      scenarios.push(evaluate({ id, title: def.title, requests, results, unsupported }));
    }

    const rssLatchkey = latchkey.rssBytes();
    const rssOidc = oidc.rssBytes();
    const report: Report = {
      date: new Date(started).toISOString(),
      command: o.command,
      commit: gitCommit(),
      mode: o.smoke ? 'smoke' : 'full',
      machine: { nproc: cpus().length, cpuModel: cpuModel(), node: process.version, os: `Linux ${release()}`, loadAverageAtStart, loadAverageAtEnd: loadavg() },
      settings: {
        connections: o.connections,
        warmupSeconds: o.warmupSeconds,
        durationSeconds: o.durationSeconds,
        repetitions: o.repetitions,
        loadGenerator: 'autocannon 8 (in the orchestrating process)',
        runtime: runtime.mode === 'build' ? 'servers compiled with tsc, run by node' : 'servers run from source with tsx',
      },
      servers: { ...servers, ...(argon2Options ? { argon2id: 'bench/servers/argon2.ts: @node-rs/argon2 verify() in a closed loop, own process' } : {}) },
      argon2: argon2Options ? { options: argon2Options } : null,
      scenarios,
      rss: { latchkey: rssLatchkey, oidcProvider: rssOidc, met: rssLatchkey <= rssOidc },
      valid: scenarios.every((s) => s.valid),
      durationSeconds: Math.round((Date.now() - started) / 1000),
    };
    const files = writeReport(o.out, report);
    log(`wrote ${files.md} and ${files.json} (${report.durationSeconds} s)`);
    return { report, files };
  } finally {
    for (const t of targets.reverse()) await t.stop().catch(() => {});
  }
}

/** A one-line description of a request, with credentials and tokens elided. */
function describe(r: RequestSpec | undefined): string {
  if (!r) return '';
  const body = r.body ? ` ${r.body.replace(/=([^&]{24,})/g, '=…').replace(/(password|client_secret)=[^&]*/g, '$1=…')}` : '';
  const auth = r.headers.authorization ? ` (${r.headers.authorization.split(' ')[0]} …)` : '';
  return `${r.method} ${r.path}${auth}${body}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runBench(parseOptions(process.argv.slice(2)))
    .then(({ report }) => {
      process.exitCode = report.valid ? 0 : 1;
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    });
}
