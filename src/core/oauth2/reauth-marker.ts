/** What the marker needs: a MAC keyed by the server (SecretBox.mac). */
export interface MarkerKeys {
  mac(value: string, context: string): string;
  verifyMac(value: string, context: string, mac: string): boolean;
}

/**
 * The re-authentication marker an authorization request carries through /login: the time it was
 * sent away to sign in again (prompt=login, max_age, a login policy), MACed with the server's key
 * and bound to the client, so a user cannot forge an old time to skip the new sign-in.
 */
export function markReauth(keys: MarkerKeys, at: number, clientId: string): string {
  const value = String(at);
  return `${value}.${keys.mac(value, `reauth:${clientId}`)}`;
}

/** The time a marker carries, or null when it is absent, malformed or forged. */
export function readReauth(keys: MarkerKeys, raw: string | undefined, clientId: string): number | null {
  if (raw === undefined) return null;
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{43})$/.exec(raw);
  if (!m?.[1] || !m[2]) return null;
  return keys.verifyMac(m[1], `reauth:${clientId}`, m[2]) ? Number(m[1]) : null;
}
