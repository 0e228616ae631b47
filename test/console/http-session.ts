/** Signs in through the real /login form with fetch, for tests that need a browser session without a browser. */
export interface HttpSession {
  cookie: string;
  /** GET with the session cookie (redirects are not followed). */
  get(path: string): Promise<Response>;
  /** POST a form with the session cookie. */
  postForm(path: string, fields: Record<string, string>): Promise<Response>;
  /** The console page's CSRF token (from <meta name="csrf-token">). */
  csrf(): Promise<string>;
}

function cookiesOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair?.indexOf('=') ?? -1;
    if (pair && eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function sessionFromCookie(baseUrl: string, cookie: string): HttpSession {
  const s: HttpSession = {
    cookie,
    get: (path) => fetch(`${baseUrl}${path}`, { headers: { cookie: s.cookie }, redirect: 'manual' }),
    postForm: async (path, fields) => {
      const res = await fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
        redirect: 'manual',
      });
      const renewed = cookiesOf(res).latchkey_session;
      if (renewed) s.cookie = `latchkey_session=${renewed}`;
      return res;
    },
    csrf: async () => {
      const page = await (await s.get('/admin/account')).text();
      const token = /<meta name="csrf-token" content="([^"]+)">/.exec(page)?.[1];
      if (!token) throw new Error('no csrf-token meta on /admin/account');
      return token;
    },
  };
  return s;
}

export async function httpSignIn(baseUrl: string, username: string, password: string): Promise<HttpSession> {
  const form = await fetch(`${baseUrl}/login`, { redirect: 'manual' });
  const loginCsrf = cookiesOf(form).latchkey_login_csrf ?? '';
  const token = /name="csrf_token" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const res = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    headers: { cookie: `latchkey_login_csrf=${loginCsrf}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf_token: token, username, password, return_to: '/admin' }).toString(),
    redirect: 'manual',
  });
  const session = cookiesOf(res).latchkey_session;
  if (res.status !== 303 || !session) throw new Error(`sign-in of ${username} failed with ${res.status}`);
  return sessionFromCookie(baseUrl, `latchkey_session=${session}`);
}
