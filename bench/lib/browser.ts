/** A stand-in for a user's browser: keeps cookies, follows same-origin redirects, stops at the client's. */
export class Browser {
  private readonly cookies = new Map<string, string>();
  constructor(readonly baseUrl: string) {}

  private keep(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /**
   * Requests a URL and follows redirects on this origin; a redirect elsewhere (the client's
   * redirect URI) is returned in `leftTo` without being followed.
   */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ status: number; url: string; body: string; leftTo?: URL }> {
    let current = new URL(url, this.baseUrl).href;
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 12; hops++) {
      const headers: Record<string, string> = {};
      if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(current, { method, redirect: 'manual', headers, ...(body !== undefined ? { body } : {}) });
      this.keep(res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.arrayBuffer();
        const next = new URL(location, current);
        if (next.origin !== new URL(this.baseUrl).origin) return { status: res.status, url: current, body: '', leftTo: next };
        current = next.href;
        method = 'GET';
        body = undefined;
        continue;
      }
      return { status: res.status, url: current, body: await res.text() };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}

/** The action and hidden inputs of the first form on a page whose markup contains `marker`. */
export function findForm(page: string, marker: string): { action: string; fields: Record<string, string> } | null {
  for (const m of page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)) {
    const inner = m[2] ?? '';
    if (!inner.includes(marker)) continue;
    const fields: Record<string, string> = {};
    for (const i of inner.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) fields[unescapeHtml(i[1] ?? '')] = unescapeHtml(i[2] ?? '');
    return { action: unescapeHtml(/action="([^"]+)"/.exec(m[1] ?? '')?.[1] ?? ''), fields };
  }
  return null;
}

function unescapeHtml(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_m, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, n: string) => String.fromCharCode(Number.parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** Runs `task` `count` times on at most `concurrency` workers (numbered from 0); results in order. */
export async function inParallel<T>(count: number, concurrency: number, task: (i: number, worker: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (_: unknown, w: number) => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i, w);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return out;
}

export function basicAuth(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-encode both parts before Base64.
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
}
