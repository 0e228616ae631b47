import { CookieJar, signIn } from './instances.js';
import type { TestServer } from './server.js';

export interface Json {
  status: number;
  body: Record<string, unknown>;
}

/** An admin API call, as the bootstrap administrator unless `auth` says otherwise; the JSON answer. */
export async function adminApi(t: TestServer, method: string, path: string, body?: unknown, auth = t.adminAuth): Promise<Json> {
  const res = await fetch(`${t.baseUrl}${path}`, {
    method,
    headers: { authorization: auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** Whether the sign-in form accepts the name and password: the redirect to My account. */
export async function signsIn(t: TestServer, username: string, password: string): Promise<boolean> {
  const res = await signIn(new CookieJar(), t.baseUrl, username, password, '/admin/account');
  return res.status === 303 && (res.headers.get('location') ?? '').includes('/admin/account');
}
