import type { FieldProblem } from '../core/clients/settings.js';
import { sha256Hex } from '../core/crypto/constant-time.js';
import { randomToken } from '../core/crypto/random.js';
import type { AuditStore, Clock, Random } from '../core/ports.js';
import { type InitialAccessToken, type InitialAccessTokenStore, initialTokenState } from '../core/registration/ports.js';
import { INITIAL_TOKEN_PREFIX } from '../core/registration/service.js';
import { type Actor, AdminError } from './errors.js';

export interface InitialTokenInput {
  label?: string;
  /** Registrations the token admits; null for unlimited. Default 1. */
  maxUses?: number | null;
  /** Lifetime in seconds; null for no expiry. Default 7 days. */
  expiresIn?: number | null;
}

export const DEFAULT_INITIAL_TOKEN_TTL = 7 * 24 * 3600;
const MAX_TTL = 366 * 24 * 3600;

/** What is shown of an initial access token: never the token itself, which exists only as a hash. */
export interface InitialTokenView {
  id: string;
  label: string;
  state: ReturnType<typeof initialTokenState>;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  max_uses: number | null;
  uses: number;
  last_used_at: string | null;
  revoked_at: string | null;
  revoked_by: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function viewInitialToken(t: InitialAccessToken, now: number): InitialTokenView {
  return {
    id: t.id,
    label: t.label,
    state: initialTokenState(t, now),
    created_at: iso(t.createdAt) ?? '',
    created_by: t.createdBy,
    expires_at: iso(t.expiresAt),
    max_uses: t.maxUses,
    uses: t.uses,
    last_used_at: iso(t.lastUsedAt),
    revoked_at: iso(t.revokedAt),
    revoked_by: t.revokedBy,
  };
}

export interface RegistrationTokenAdminDeps {
  store: InitialAccessTokenStore;
  audit: AuditStore;
  clock: Clock;
  random: Random;
}

/**
 * Initial access tokens (RFC 7591 §3): an administrator hands one to a developer, whose client then
 * may register while registration is in token mode. Stored by SHA-256 hash; shown once.
 */
export class RegistrationTokenAdmin {
  constructor(private readonly deps: RegistrationTokenAdminDeps) {}

  async create(input: InitialTokenInput, actor: Actor): Promise<{ token: InitialAccessToken; secret: string }> {
    const problems: FieldProblem[] = [];
    const label = (input.label ?? '').trim();
    if (label.length > 200) problems.push({ field: 'label', message: 'must be at most 200 characters' });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
    if (/[\u0000-\u001f\u007f]/.test(label)) problems.push({ field: 'label', message: 'must not contain control characters' });
    const maxUses = input.maxUses === undefined ? 1 : input.maxUses;
    if (maxUses !== null && !(Number.isInteger(maxUses) && maxUses >= 1 && maxUses <= 1_000_000)) {
      problems.push({ field: 'uses', message: 'must be a whole number from 1 to 1000000 (or unlimited)' });
    }
    const expiresIn = input.expiresIn === undefined ? DEFAULT_INITIAL_TOKEN_TTL : input.expiresIn;
    if (expiresIn !== null && !(Number.isFinite(expiresIn) && expiresIn >= 60 && expiresIn <= MAX_TTL)) {
      problems.push({ field: 'expires_in', message: 'must be between 60 seconds and 366 days (or never)' });
    }
    if (problems.length > 0) throw AdminError.invalid(problems);

    const now = this.deps.clock.now();
    const secret = `${INITIAL_TOKEN_PREFIX}${randomToken(this.deps.random, 256)}`;
    const token: InitialAccessToken = {
      id: this.deps.random.bytes(8).toString('hex'),
      label,
      createdAt: now,
      createdBy: actor.name,
      expiresAt: expiresIn === null ? null : now + Math.round(expiresIn * 1000),
      maxUses,
      uses: 0,
      lastUsedAt: null,
      revokedAt: null,
      revokedBy: null,
    };
    await this.deps.store.insert(token, sha256Hex(secret));
    await this.record(actor, 'registration_token.create', token.id, { label, max_uses: maxUses, expires_at: iso(token.expiresAt) });
    return { token, secret };
  }

  list(includeInactive: boolean): Promise<InitialAccessToken[]> {
    return this.deps.store.list({ includeInactive, now: this.deps.clock.now() });
  }

  async revoke(id: string, actor: Actor): Promise<InitialAccessToken> {
    const revoked = await this.deps.store.revoke(id, this.deps.clock.now(), actor.name);
    const token = await this.deps.store.get(id);
    if (!token) throw AdminError.notFound('registration token');
    if (!revoked) throw new AdminError(409, 'conflict', 'the registration token was already revoked');
    await this.record(actor, 'registration_token.revoke', id, { label: token.label });
    return token;
  }

  private record(actor: Actor, action: string, id: string, details: Record<string, unknown>): Promise<void> {
    return this.deps.audit.append({
      at: this.deps.clock.now(),
      actor: actor.name,
      source: actor.source,
      action,
      targetType: 'registration_token',
      target: id,
      details,
    });
  }
}
