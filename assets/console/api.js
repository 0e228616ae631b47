// @ts-check
// The admin API, called with the session cookie. Unsafe methods carry the session's CSRF token in
// X-CSRF-Token (the server refuses them otherwise).

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

/**
 * Shapes of the admin API's answers (described in /admin/api/openapi.json).
 * @typedef {{ field: string, message: string }} FieldProblem
 * @typedef {{ error?: string, message?: string, error_description?: string, fields?: FieldProblem[] }} ErrorBody
 * @typedef {{
 *   client_key: string, type: 'oauth1' | 'oauth2' | 'oidc', name: string, status: 'pending' | 'approved' | 'disapproved',
 *   public: boolean, require_pkce: boolean, resource_server: boolean, has_secret: boolean, resources: string[],
 *   redirect_uris: string[], post_logout_redirect_uris: string[], grant_types: string[], response_types: string[],
 *   callback_url: string | null, rsa_public_key: string | null, metadata: Record<string, unknown>, created_via: string,
 *   created_at: string, updated_at: string, status_changed_at: string | null, status_changed_by: string | null,
 *   last_used_at: string | null, unreadable_fields: string[], version: number, client_secret?: string,
 * }} Client
 * @typedef {{
 *   id: string, username: string, display_name: string, email: string | null, enabled: boolean, roles: string[],
 *   created_at: string, last_sign_in_at: string | null, source: { directory_id: string, domain: string, dn: string } | null,
 *   group_roles: string[], last_sync_at: string | null,
 * }} User
 * @typedef {{
 *   id: string, name: string, description: string, kind: 'native' | 'external', directory_id: string | null,
 *   external_id: string | null, roles: string[], created_at: string, updated_at: string,
 * }} Group
 * @typedef {{
 *   id: string, name: string, domain: string, position: number, enabled: boolean, host: string, port: number,
 *   security: 'none' | 'ldaps' | 'starttls', ca_bundle: string | null, verify_hostname: boolean,
 *   connect_timeout_ms: number, read_timeout_ms: number, bind_dn: string | null, bind_password_set: boolean,
 *   users: { base_dn: string, filter: string, username_attribute: string, scope: 'sub' | 'one' } | { dn_template: string },
 *   attributes: {
 *     username: string, display_name: string | null, email: string | null, given_name: string | null,
 *     family_name: string | null, unique_id: string,
 *   },
 *   groups: { kind: 'none' } | { kind: 'member_of', attribute: string, name_attribute: string }
 *     | { kind: 'search', base_dn: string, filter: string, member_attribute: string, name_attribute: string, nested: boolean },
 *   email_verified: boolean, create_users_on_sign_in: boolean, default_group_id: string | null,
 *   sync_interval_minutes: number,
 *   health: { last_success_at: string | null, last_error_at: string | null, last_error: string | null },
 *   created_at: string, updated_at: string,
 * }} Directory
 * @typedef {{
 *   dn: string, unique_id: string, username: string, display_name: string | null, email: string | null,
 *   given_name: string | null, family_name: string | null, groups: Array<{ dn: string, name: string }>,
 *   imported_as: string | null,
 * }} DirectoryEntry
 * @typedef {{ dn: string, name: string, members: number, imported: boolean }} DirectoryGroupFound
 * @typedef {{ id: number | null, at: string, actor: string, action: string, source: string, details: Record<string, unknown>, reason: string | null }} ActivityEvent
 * @typedef {Page<Client> & { pending_counts: Record<string, number | undefined> }} ClientPage
 * @typedef {{
 *   client_key: string, exists: boolean, last_used_at: string | null, status_history: ActivityEvent[], changes: ActivityEvent[],
 *   sign_ins: ActivityEvent[], failed_requests: ActivityEvent[],
 * }} ClientActivity
 * @typedef {{ id?: number, at: string, actor: string, action: string, targetType: string, target: string | null, source: string, details: Record<string, unknown> }} AuditEntry
 * @typedef {{
 *   id: string, name: string, user_id: string, username: string | null, scopes: string[], status: 'active' | 'expired' | 'revoked',
 *   created_at: string, expires_at: string, last_used_at: string | null, revoked_at: string | null, revoked_by: string | null,
 * }} PersonalAccessToken
 */

/**
 * @template T
 * @typedef {{ items: T[], total: number, limit: number, offset: number }} Page
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {ErrorBody | null} body
   */
  constructor(status, body) {
    super(body?.message ?? body?.error_description ?? `the server answered ${status}`);
    this.status = status;
    this.code = body?.error ?? 'error';
    /** [{ field, message }] for invalid input. */
    this.fields = Array.isArray(body?.fields) ? body.fields : [];
  }
}

/**
 * Calls the admin API; the answer's JSON (null for 204). The caller names the answer's shape
 * (the document at /admin/api/openapi.json describes each), by the type of what it assigns it to.
 * @template [T=unknown]
 * @param {'GET' | 'HEAD' | 'POST' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<T>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
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
  return /** @type {T} */ (data);
}

/**
 * Query string from an object, leaving out empty values.
 * @param {Record<string, unknown>} params
 */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
