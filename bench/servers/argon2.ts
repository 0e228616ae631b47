// Raw argon2id verification rate with Latchkey's parameters (ARGON2_OPTIONS), in a process of its
// own: the same closed loop as the load generator (BENCH_CONCURRENCY verifications in flight), a
// warm-up, then BENCH_DURATION seconds. Prints one JSON line with the measurement.
import { verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS, hashPassword } from '../../src/adapters/argon2.js';

async function loop(hash: string, password: string, concurrency: number, seconds: number): Promise<number[]> {
  const latencies: number[] = [];
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await verify(hash, password))) throw new Error('argon2 verification failed');
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

async function main(): Promise<void> {
  const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
  const duration = Number(process.env.BENCH_DURATION ?? 5);
  const warmup = Number(process.env.BENCH_WARMUP ?? 1);
  const password = 'bench-user-password-1';
  const hash = await hashPassword(password);
  await loop(hash, password, concurrency, warmup);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const latencies = await loop(hash, password, concurrency, duration);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  process.stdout.write(
    `${JSON.stringify({
      options: { ...ARGON2_OPTIONS, algorithm: 'argon2id' },
      verifications: latencies.length,
      seconds,
      perSecond: latencies.length / seconds,
      p50Ms: at(50),
      p99Ms: at(99),
      cpuMs: (cpu.user + cpu.system) / 1000,
      rssBytes: process.memoryUsage.rss(),
    })}\n`,
  );
}

void main();
