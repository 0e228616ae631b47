import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestServer } from '../support/server.js';

const run = promisify(execFile);

export interface JsonResponse {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** One HTTP call with a JSON (or raw) body; the answer parsed when it is JSON. */
export async function call(
  method: string,
  url: string,
  options: { body?: unknown; raw?: string; contentType?: string; token?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  let body: string | undefined;
  if (options.raw !== undefined) {
    body = options.raw;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  if (text !== '' && (res.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(text) as Record<string, unknown>;
  return { status: res.status, headers: res.headers, json };
}

/** Runs the real CLI against the server's database, as an administrator on the server host would. */
export async function latchkey(server: TestServer, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LATCHKEY_DATABASE_URL: server.app.config.databaseUrl,
    LATCHKEY_DATA_DIR: server.app.config.dataDir,
    LATCHKEY_MASTER_KEY: server.app.config.masterKey ?? '',
    LATCHKEY_LOG_LEVEL: 'silent',
  };
  try {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env });
    return { ...r, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}
