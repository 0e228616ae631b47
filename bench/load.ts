import autocannon, { type RawRequest } from 'autocannon';

/** One HTTP request of a scenario, as sent on the wire. */
export interface RequestSpec {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/**
 * Where a run's requests come from: the same request again and again, or a pool of one-time
 * requests (codes, refresh tokens, signed nonces) that are each sent once, in order.
 */
export type RequestSource = { kind: 'fixed'; request: RequestSpec } | { kind: 'pool'; pool: RequestPool };

/** One-time requests, consumed in the order they were minted (the oldest first, before it expires). */
export class RequestPool {
  private next = 0;
  constructor(
    private readonly items: RequestSpec[],
    /** A ceiling server does not care about reuse: it cycles through a sample instead. */
    private readonly cycle = false,
  ) {
    if (items.length === 0) throw new Error('empty request pool');
  }
  get remaining(): number {
    return this.cycle ? Number.POSITIVE_INFINITY : this.items.length - this.next;
  }
  take(): RequestSpec {
    if (this.cycle) return this.items[this.next++ % this.items.length] as RequestSpec;
    const item = this.items[this.next++];
    // Never reached: runs are capped at the remaining count (maxOverallRequests).
    if (!item) throw new Error('request pool exhausted');
    return item;
  }
  /** The first item, without consuming it (to describe the request). */
  peek(): RequestSpec {
    return this.items[0] as RequestSpec;
  }
}

export interface LoadOptions {
  baseUrl: string;
  connections: number;
  durationSeconds: number;
  source: RequestSource;
}

export interface LoadResult {
  /** Responses with a 2xx status. */
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts. */
  errors: number;
  statusCodes: Record<string, number>;
  /** Seconds the run actually lasted. */
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The pool ran out before the duration was over (the run is shorter; its rate still holds). */
  poolLimited: boolean;
  /** CPU the load generator itself used, in ms (to show it was not the bottleneck). */
  loadGeneratorCpuMs: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

function toRaw(r: RequestSpec): RawRequest {
  return { method: r.method, path: r.path, headers: r.headers, ...(r.body !== undefined ? { body: r.body } : {}) };
}

/**
 * A closed loop: `connections` keep-alive connections, each sending its next request as soon as
 * the previous answer arrived, for a fixed duration (autocannon). Latencies are recorded here with
 * sub-millisecond precision from autocannon's per-response timings.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const pool = o.source.kind === 'pool' ? o.source.pool : null;
  const cap = pool && Number.isFinite(pool.remaining) ? pool.remaining : 0;
  if (pool && Number.isFinite(pool.remaining) && cap < o.connections) throw new Error(`request pool too small (${cap}) for ${o.connections} connections`);
  const request = o.source.kind === 'fixed' ? o.source.request : (pool as RequestPool).peek();
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  const instance = autocannon({
    url: o.baseUrl,
    connections: o.connections,
    duration: o.durationSeconds,
    sampleInt: 100,
    pipelining: 1,
    timeout: 10,
    ...(cap > 0 ? { maxOverallRequests: cap } : {}),
    requests: [pool ? { ...toRaw(request), setupRequest: (req) => ({ ...req, ...toRaw(pool.take()) }) } : toRaw(request)],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
  });
  const result = await instance;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, s] of Object.entries(result.statusCodeStats)) statusCodes[code] = s.count;
  const seconds = result.duration;
  return {
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
    seconds,
    requestsPerSecond: seconds > 0 ? result['2xx'] / seconds : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    poolLimited: cap > 0 && seconds < o.durationSeconds - 0.05,
    loadGeneratorCpuMs: (cpu.user + cpu.system) / 1000,
  };
}
