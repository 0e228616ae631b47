import type { UserStore } from '../core/ports.js';
import { type PersonalAccessToken, patStatus } from '../core/tokens/personal-access-tokens.js';

/** A personal access token as the admin API and the CLI show it: never its value nor its hash. */
export interface PatView {
  id: string;
  name: string;
  user_id: string;
  username: string | null;
  scopes: string[];
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  expires_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function viewPat(t: PersonalAccessToken, username: string | null, now: number): PatView {
  return {
    id: t.id,
    name: t.name,
    user_id: t.userId,
    username,
    scopes: [...t.scopes],
    status: patStatus(t, now),
    created_at: new Date(t.createdAt).toISOString(),
    expires_at: new Date(t.expiresAt).toISOString(),
    last_used_at: iso(t.lastUsedAt),
    revoked_at: iso(t.revokedAt),
    revoked_by: t.revokedBy,
  };
}

/** Views of tokens of several owners, each owner read once. */
export async function viewPats(tokens: readonly PersonalAccessToken[], users: Pick<UserStore, 'get'>, now: number): Promise<PatView[]> {
  const names = new Map<string, string | null>();
  for (const id of new Set(tokens.map((t) => t.userId))) names.set(id, (await users.get(id))?.username ?? null);
  return tokens.map((t) => viewPat(t, names.get(t.userId) ?? null, now));
}
