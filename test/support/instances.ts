import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort } from '../../scripts/services.mjs';
import { ADMIN_PASSWORD } from './server.js';

/** A Latchkey server running as its own process (`latchkey serve`), as in production. */
export interface Instance {
  name: string;
  port: number;
  baseUrl: string;
  process: ChildProcess;
  output(): string;
  /** Sends SIGKILL and waits for the process to end. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  databaseUrl: string;
  dataDir: string;
  /** Shared by every instance of a cluster. */
  masterKey?: string;
  env?: Record<string, string>;
}

export function clusterKey(): string {
  return randomBytes(32).toString('base64');
}

/** Starts several instances at once; if one fails, the others are stopped too. */
export async function startInstances(names: string[], o: ClusterOptions & { masterKey: string }): Promise<Instance[]> {
  const settled = await Promise.allSettled(names.map((n) => startInstance(n, o)));
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((s) => (s.status === 'fulfilled' ? s.value.kill() : undefined)));
    throw failed.reason;
  }
  return settled.map((s) => (s as PromiseFulfilledResult<Instance>).value);
}

/** Starts one instance and waits until it listens. */
export async function startInstance(name: string, o: ClusterOptions & { masterKey: string }): Promise<Instance> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    env: {
      ...process.env,
      LATCHKEY_PORT: String(port),
      LATCHKEY_HOST: '127.0.0.1',
      LATCHKEY_ISSUER: `http://127.0.0.1:${port}`,
      LATCHKEY_DATABASE_URL: o.databaseUrl,
      LATCHKEY_DATA_DIR: o.dataDir,
      LATCHKEY_MASTER_KEY: o.masterKey,
      LATCHKEY_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LATCHKEY_LOG_LEVEL: 'warn',
      ...o.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!out.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`instance ${name} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    process: child,
    output: () => out,
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** A tiny cookie jar for driving the HTML pages with fetch. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();
  /** `headers`: sent with every request unless the request sets them (e.g. `connection: close`). */
  constructor(private readonly headers: Record<string, string> = {}) {}
  keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) {
        const value = pair.slice(eq + 1);
        if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || value === '') this.cookies.delete(pair.slice(0, eq));
        else this.cookies.set(pair.slice(0, eq), value);
      }
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(this.headers)) if (!headers.has(name)) headers.set(name, value);
    if (this.cookies.size > 0) headers.set('cookie', this.header());
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.keep(res);
    return res;
  }
}

/** Signs in through the real /login form; returns the response of the form post. */
export async function signIn(jar: CookieJar, baseUrl: string, username: string, password: string, returnTo = '/'): Promise<Response> {
  const page = await (await jar.fetch(`${baseUrl}/login?return_to=${encodeURIComponent(returnTo)}`)).text();
  const csrf = page.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
  return jar.fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: csrf, return_to: returnTo, username, password }),
  });
}
