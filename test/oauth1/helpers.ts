import { createHmac, generateKeyPairSync, sign } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { App } from '../../src/compose.js';
import type { Client } from '../../src/core/clients/client.js';
import { OPERATOR } from '../../src/core/users/authorization.js';
import { ADMIN_PASSWORD } from '../support/server.js';

export const ACTOR = { name: 'test', source: 'test', authority: OPERATOR };
export const CALLBACK = 'http://127.0.0.1:9/oauth/callback';

export const rsaKeys: { publicKey: string; privateKey: string } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** Registers an OAuth 1.0a consumer (approved unless told otherwise) and returns its credentials. */
export async function createConsumer(
  app: App,
  options: { name?: string; callbackUrl?: string | null; rsa?: boolean; status?: 'approved' | 'pending' | 'disapproved' } = {},
): Promise<{ key: string; secret: string; client: Client }> {
  const secret = `consumer-secret-${Math.random().toString(36).slice(2)}&+ é`;
  const { client } = await app.clientAdmin.create(
    {
      type: 'oauth1',
      name: options.name ?? 'Requirements tool',
      secret,
      ...(options.callbackUrl !== undefined ? { callback_url: options.callbackUrl } : {}),
      ...(options.rsa ? { rsa_public_key: rsaKeys.publicKey } : {}),
    },
    ACTOR,
  );
  const status = options.status ?? 'approved';
  if (status !== 'pending') await app.clientAdmin.setStatus(client.key, status, ACTOR);
  return { key: client.key, secret, client };
}

export type Method = 'HMAC-SHA1' | 'HMAC-SHA256' | 'RSA-SHA1' | 'PLAINTEXT';

/** The npm `oauth-1.0a` client, configured for a signature method. */
export function npmClient(key: string, secret: string, method: Method = 'HMAC-SHA1'): OAuth {
  return new OAuth({
    consumer: { key, secret },
    signature_method: method,
    hash_function(base, signingKey) {
      if (method === 'RSA-SHA1') return sign('sha1', Buffer.from(base), rsaKeys.privateKey).toString('base64');
      if (method === 'PLAINTEXT') return signingKey;
      return createHmac(method === 'HMAC-SHA256' ? 'sha256' : 'sha1', signingKey)
        .update(base)
        .digest('base64');
    },
  });
}

/**
 * The Authorization header for a request. `extra` are oauth_ parameters (oauth_callback,
 * oauth_verifier) that are signed and sent in the header; `data` are signed request parameters
 * (form body or query) the caller sends itself.
 */
export function authHeader(
  oauth: OAuth,
  request: { url: string; method: string; data?: Record<string, string> },
  token?: { key: string; secret: string },
  extra: Record<string, string> = {},
): string {
  const signed = oauth.authorize({ url: request.url, method: request.method, data: { ...(request.data ?? {}), ...extra } }, token);
  return oauth.toHeader({ ...signed, ...extra }).Authorization;
}

export function parseForm(text: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(text));
}

function decodeEntities(s: string): string {
  return s.replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n))).replace(/&amp;/g, '&');
}

export function hiddenInputs(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[decodeEntities(m[1] ?? '')] = decodeEntities(m[2] ?? '');
  return out;
}

/** A browser stand-in: keeps cookies, follows redirects on the server, stops at anything else. */
export class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (!pair || eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private headers(): Record<string, string> {
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  /** Requests a URL and follows same-origin redirects; reports an off-site redirect instead of following it. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; url: string; body: string; leftTo?: string }> {
    let current = new URL(url, this.baseUrl).href;
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 10; hops++) {
      const res = await fetch(current, {
        method,
        redirect: 'manual',
        headers: { ...this.headers(), ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      this.store(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        const next = new URL(location, current);
        if (next.origin !== new URL(this.baseUrl).origin) return { status: res.status, url: current, body: await res.text(), leftTo: next.href };
        current = next.href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: res.status, url: current, body: await res.text() };
    }
    throw new Error('too many redirects');
  }

  /** Submits the page's sign-in form when the server asked for it. */
  async signInIfAsked(page: { url: string; body: string; status: number }, username: string, password: string) {
    if (!new URL(page.url).pathname.startsWith('/login')) return page;
    const fields = hiddenInputs(page.body);
    return this.request('/login', { method: 'POST', form: { ...fields, username, password } });
  }
}

/**
 * Drives the user's side of RFC 5849 §2.2: opens the authorization URL, signs in through the real
 * /login form, answers the consent page, and returns where the server sent the browser (the
 * callback) or the page it showed (oob).
 */
export async function authorizeAsUser(
  baseUrl: string,
  authorizeUrl: string,
  options: { username?: string; password?: string; decision?: 'allow' | 'deny'; browser?: Browser } = {},
): Promise<{ callback?: string; page: string; status: number; consent: string }> {
  const browser = options.browser ?? new Browser(baseUrl);
  let page = await browser.request(authorizeUrl);
  page = await browser.signInIfAsked(page, options.username ?? 'admin', options.password ?? ADMIN_PASSWORD);
  if (page.status !== 200 || !page.body.includes('name="decision"')) return { page: page.body, status: page.status, consent: page.body };
  const consent = page.body;
  const answered = await browser.request('/oauth1/authorize', { method: 'POST', form: { ...hiddenInputs(consent), decision: options.decision ?? 'allow' } });
  return { ...(answered.leftTo ? { callback: answered.leftTo } : {}), page: answered.body, status: answered.status, consent };
}

/** The verifier shown for an out-of-band authorization. */
export function verifierFromPage(page: string): string {
  const m = /<output id="oauth-verifier"[^>]*>([^<]+)<\/output>/.exec(page);
  if (!m?.[1]) throw new Error('no verifier on the page');
  return m[1];
}

/** One complete three-legged flow with the npm client; returns the token credentials. */
export async function threeLegged(
  baseUrl: string,
  consumer: { key: string; secret: string },
  options: { method?: Method; callback?: string; username?: string; password?: string; timestamp?: () => number } = {},
): Promise<{ token: { key: string; secret: string }; oauth: OAuth }> {
  const oauth = npmClient(consumer.key, consumer.secret, options.method);
  if (options.timestamp) oauth.getTimeStamp = options.timestamp;
  const callback = options.callback ?? CALLBACK;
  const rtUrl = `${baseUrl}/oauth1/request_token`;
  const rt = await fetch(rtUrl, {
    method: 'POST',
    headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: callback }) },
  });
  const rtBody = await rt.text();
  if (rt.status !== 200) throw new Error(`request_token ${rt.status}: ${rtBody}`);
  const temp = parseForm(rtBody);
  const answer = await authorizeAsUser(baseUrl, `/oauth1/authorize?oauth_token=${encodeURIComponent(temp.oauth_token ?? '')}`, options);
  const verifier = callback === 'oob' ? verifierFromPage(answer.page) : (new URL(answer.callback ?? 'x:').searchParams.get('oauth_verifier') ?? '');
  const atUrl = `${baseUrl}/oauth1/access_token`;
  const tempToken = { key: temp.oauth_token ?? '', secret: temp.oauth_token_secret ?? '' };
  const at = await fetch(atUrl, {
    method: 'POST',
    headers: { authorization: authHeader(oauth, { url: atUrl, method: 'POST' }, tempToken, { oauth_verifier: verifier }) },
  });
  const atBody = await at.text();
  if (at.status !== 200) throw new Error(`access_token ${at.status}: ${atBody}`);
  const creds = parseForm(atBody);
  return { token: { key: creds.oauth_token ?? '', secret: creds.oauth_token_secret ?? '' }, oauth };
}

/** A signed GET with the npm client. */
export async function signedGet(
  oauth: OAuth,
  url: string,
  token: { key: string; secret: string },
): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(url, { headers: { authorization: authHeader(oauth, { url, method: 'GET' }, token) } });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** oauth_problem from a form body or a JSON API error. */
export function problemOf(r: { body: string; headers: Headers }): string | undefined {
  const header = r.headers.get('www-authenticate') ?? '';
  return /oauth_problem="([^"]+)"/.exec(header)?.[1];
}
