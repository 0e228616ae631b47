/** A small Prometheus registry: counters and histograms with labels, text exposition format 0.0.4. */

type Labels = Record<string, string>;

const NEEDS_ESCAPE = /[\\"\n]/;

/** `a="1",b="2"`: label names sorted, values escaped as the exposition format requires. */
function labelKey(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let out = '';
  for (const k of names) {
    const v = String(labels[k]);
    out += `${out === '' ? '' : ','}${k}="${NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v}"`;
  }
  return out;
}

export class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = labelKey(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Labels = {}): number {
    return this.values.get(labelKey(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k ? `{${k}}` : ''} ${v}`);
    return lines.join('\n');
  }
}

export class Histogram {
  private readonly series = new Map<string, { buckets: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly bounds: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = labelKey(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { buckets: this.bounds.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.bounds.length; i++) if (value <= (this.bounds[i] ?? 0)) s.buckets[i] = (s.buckets[i] ?? 0) + 1;
    s.sum += value;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const [k, s] of this.series) {
      const sep = k ? `${k},` : '';
      this.bounds.forEach((b, i) => {
        lines.push(`${this.name}_bucket{${sep}le="${b}"} ${s.buckets[i]}`);
      });
      lines.push(`${this.name}_bucket{${sep}le="+Inf"} ${s.count}`);
      lines.push(`${this.name}_sum${k ? `{${k}}` : ''} ${s.sum}`);
      lines.push(`${this.name}_count${k ? `{${k}}` : ''} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** Latchkey's metrics; modules increment them, /metrics renders them. */
export class Metrics {
  readonly requests = new Counter('latchkey_http_requests_total', 'HTTP requests by route, method and status.');
  readonly duration = new Histogram('latchkey_http_request_duration_seconds', 'HTTP request latency by route.');
  readonly tokensIssued = new Counter('latchkey_tokens_issued_total', 'Tokens issued by grant type, token type and client type.');
  readonly signInFailures = new Counter('latchkey_signin_failures_total', 'Failed password sign-ins by channel.');
  readonly securityEvents = new Counter('latchkey_security_events_total', 'Security events (replayed codes and nonces, refresh token reuse, throttling).');

  render(extra: string[] = []): string {
    return `${[this.requests, this.duration, this.tokensIssued, this.signInFailures, this.securityEvents]
      .map((m) => m.render())
      .concat(extra)
      .join('\n')}\n`;
  }
}

/** Each directory's health as Prometheus gauges (domain names are [a-z0-9.-], safe as label values). */
export function directoryGauges(
  directories: ReadonlyArray<{ domain: string; enabled: boolean; health: { lastSuccessAt: number | null; lastErrorAt: number | null } }>,
): string[] {
  const seconds = (ms: number | null) => (ms === null ? 0 : Math.floor(ms / 1000));
  const lines = [
    '# HELP latchkey_directory_up Whether the last contact with the directory succeeded (1) or failed (0); absent before any contact.',
    '# TYPE latchkey_directory_up gauge',
  ];
  for (const d of directories) {
    const { lastSuccessAt: ok, lastErrorAt: bad } = d.health;
    if (ok !== null || bad !== null) lines.push(`latchkey_directory_up{domain="${d.domain}"} ${(ok ?? 0) >= (bad ?? 0) ? 1 : 0}`);
  }
  lines.push('# HELP latchkey_directory_enabled Whether the directory takes part in sign-in.', '# TYPE latchkey_directory_enabled gauge');
  for (const d of directories) lines.push(`latchkey_directory_enabled{domain="${d.domain}"} ${d.enabled ? 1 : 0}`);
  lines.push(
    '# HELP latchkey_directory_last_success_seconds When the directory last answered (Unix time; 0: never).',
    '# TYPE latchkey_directory_last_success_seconds gauge',
  );
  for (const d of directories) lines.push(`latchkey_directory_last_success_seconds{domain="${d.domain}"} ${seconds(d.health.lastSuccessAt)}`);
  lines.push(
    '# HELP latchkey_directory_last_error_seconds When asking the directory last failed (Unix time; 0: never).',
    '# TYPE latchkey_directory_last_error_seconds gauge',
  );
  for (const d of directories) lines.push(`latchkey_directory_last_error_seconds{domain="${d.domain}"} ${seconds(d.health.lastErrorAt)}`);
  return lines;
}
