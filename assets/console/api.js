// The admin API, called with the session cookie. Unsafe methods carry the session's CSRF token in
// X-CSRF-Token (the server refuses them otherwise).

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? body?.error_description ?? `the server answered ${status}`);
    this.status = status;
    this.code = body?.error ?? 'error';
    /** [{ field, message }] for invalid input. */
    this.fields = Array.isArray(body?.fields) ? body.fields : [];
  }
}

export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { error: 'network', message: 'Latchkey could not be reached. Check the connection and try again.' });
  }
  if (res.status === 401) {
    // The session ended (signed out elsewhere, expired): sign in again and come back here.
    location.assign(`/login?return_to=${encodeURIComponent(location.pathname + location.search)}`);
    throw new ApiError(401, { error: 'unauthenticated', message: 'Your session ended. Sign in again.' });
  }
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (!res.ok) {
    if (res.status === 403 && data?.error === 'csrf_failed') {
      throw new ApiError(403, { error: 'csrf_failed', message: 'Your session changed in another tab. Reload the page and try again.' });
    }
    throw new ApiError(res.status, data);
  }
  return data;
}

/** Query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
