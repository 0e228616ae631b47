import type { Client } from '../clients/client.js';
import { InvalidScope } from './errors.js';

export interface ScopeDefinition {
  name: string;
  /** One sentence shown on the consent page ("… wants to …"). */
  description: string;
  /** Client types that may ask for it; every OAuth 2.0 / OIDC client when omitted. */
  clientTypes?: readonly ('oauth2' | 'oidc')[];
}

/**
 * Latchkey's API scopes (documented in the README):
 * - `profile` — read the user's own profile at GET /api/me;
 * - `latchkey:admin` — call the admin REST API, never beyond the user's own permissions.
 * The OpenID Connect layer adds `openid`, `email`, `phone`, `address`, `offline_access` to the same catalog.
 */
export const API_SCOPE_DEFINITIONS: readonly ScopeDefinition[] = [
  {
    name: 'profile',
    description:
      'See your username, display name and email address, and the profile details you entered (names, nickname, picture, web pages, gender, birthdate, time zone, language).',
  },
  {
    name: 'latchkey:admin',
    description: 'Use the Latchkey admin API on your behalf, with the permissions of your roles (for example manage client keys or users).',
  },
];

/** Scope granted when a request names none (RFC 6749 §3.3 "pre-defined default value"). */
export const DEFAULT_SCOPES: readonly string[] = ['profile'];

/** The scopes the server knows, open to extension by later layers (OIDC). */
export class ScopeCatalog {
  private readonly defs = new Map<string, ScopeDefinition>();
  defaults: string[] = [...DEFAULT_SCOPES];

  constructor(defs: readonly ScopeDefinition[] = API_SCOPE_DEFINITIONS) {
    for (const d of defs) this.add(d);
  }

  add(def: ScopeDefinition): void {
    this.defs.set(def.name, def);
  }

  names(): string[] {
    return [...this.defs.keys()];
  }

  get(name: string): ScopeDefinition | undefined {
    return this.defs.get(name);
  }

  /**
   * The scopes a client obtains for a request: the defaults when none were asked for, otherwise
   * exactly those asked for, each of which must be known, meant for the client's type and, when
   * the client's metadata lists a `scope`, within that list (RFC 6749 §3.3).
   */
  resolve(requested: readonly string[], client: Pick<Client, 'type' | 'metadata'>): string[] {
    const allowed = clientScopeLimit(client);
    if (requested.length === 0) {
      return this.defaults.filter((s) => (allowed ? allowed.has(s) : true) && this.fits(s, client.type));
    }
    for (const s of requested) {
      const def = this.defs.get(s);
      if (!def) throw new InvalidScope(`the scope "${s.slice(0, 60)}" is unknown (known: ${this.names().join(', ')})`);
      if (!this.fits(s, client.type)) {
        throw new InvalidScope(`the scope "${s}" is for ${(def.clientTypes ?? []).join(' or ')} clients; this client is of type ${client.type}`);
      }
      if (allowed && !allowed.has(s)) throw new InvalidScope(`this client may not ask for the scope "${s}"`);
    }
    return [...requested];
  }

  describe(scopes: readonly string[]): { name: string; description: string }[] {
    return scopes.map((name) => ({ name, description: this.defs.get(name)?.description ?? name }));
  }

  private fits(scope: string, type: Client['type']): boolean {
    const def = this.defs.get(scope);
    if (!def) return false;
    return def.clientTypes === undefined || (type !== 'oauth1' && def.clientTypes.includes(type));
  }
}

/** Optional per-client limit: `metadata.scope`, a space-separated list (RFC 7591 §2). */
function clientScopeLimit(client: Pick<Client, 'metadata'>): Set<string> | null {
  const v = client.metadata.scope;
  return typeof v === 'string' ? new Set(v.split(' ').filter((s) => s !== '')) : null;
}

/** RFC 6749 §6: a refresh may narrow, never widen, the original scope. */
export function narrowScopes(requested: readonly string[], granted: readonly string[]): string[] {
  if (requested.length === 0) return [...granted];
  for (const s of requested) {
    if (!granted.includes(s)) throw new InvalidScope(`the scope "${s.slice(0, 60)}" was not part of the original grant`);
  }
  return [...requested];
}
