import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from './runtime.js';

/** Clock ticks per second of /proc/PID/stat (USER_HZ; 100 on every Linux we run on). */
const CLK_TCK = 100;

/** A server under test, running as its own process so its CPU time and memory can be read. */
export interface ServerProcess {
  name: string;
  pid: number;
  baseUrl: string;
  /** User + system CPU time of the whole process (every thread) so far, in ms. */
  cpuMs(): number;
  /** Resident set size now, in bytes. */
  rssBytes(): number;
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  /** Node arguments: script and its arguments (the node binary is this one). */
  args: string[];
  env: Record<string, string>;
  baseUrl: string;
  /** A line in stdout that says the server is ready. */
  readyPattern: RegExp;
  timeoutMs?: number;
}

/** CPU time of a process from /proc/PID/stat (utime + stime, fields 14 and 15). */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; count fields after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** VmRSS of a process from /proc/PID/status, in bytes. */
export function processRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Starts a Node.js child and waits until it prints its ready line. */
export async function spawnServer(o: SpawnOptions): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, o.args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    // Keep the tail only: a long run must not grow this without bound.
    if (out.length > 64_000) out = out.slice(-32_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + (o.timeoutMs ?? 60_000);
  while (!o.readyPattern.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${o.name} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${o.name} has no pid`);
  return {
    name: o.name,
    pid,
    baseUrl: o.baseUrl,
    cpuMs: () => processCpuMs(pid),
    rssBytes: () => processRssBytes(pid),
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
