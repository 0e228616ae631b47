import { createPrivateKey, createPublicKey, generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { SigningKeyStore, StoredSigningKey } from '../oauth2/storage.js';
import type { Clock } from '../ports.js';

const generate = promisify(generateNodeKeyPair);

/** Algorithms Latchkey signs with: ES256 (default, fast) and RS256 (the reference's, most interoperable). */
export const SIGNING_ALGS = ['ES256', 'RS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

export function isSigningAlg(value: unknown): value is SigningAlg {
  return value === 'ES256' || value === 'RS256';
}

export interface Sealer {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export interface LoadedKey {
  kid: string;
  alg: SigningAlg;
  publicKey: KeyObject;
  /** Present while the key may sign (not retired). */
  privateKey: KeyObject | null;
  publicJwk: JWK;
  createdAt: number;
  retiredAt: number | null;
}

export interface KeyRingOptions {
  store: SigningKeyStore;
  secrets: Sealer;
  clock: Clock;
  /** How long a loaded key set is trusted before the database is read again (ms). */
  refreshMs?: number;
  /** How long a retired key keeps validating: the longest lifetime of a token it signed (ms). */
  retainRetiredMs: number;
}

function sealContext(kid: string): string {
  return `signing-key:${kid}`;
}

/**
 * The server's signing keys, kept in the database (private parts sealed under the master key) and
 * cached in memory. The cache is re-read every few seconds and whenever a token names an unknown
 * `kid`, so a rotation at one instance is seen by all within seconds.
 */
export class KeyRing {
  private keys: LoadedKey[] = [];
  private loadedAt = Number.NEGATIVE_INFINITY;
  private loading: Promise<void> | null = null;
  /** The JWK Set as sent, serialized once per load. */
  private jwksText: string | null = null;
  /** The signing key per algorithm, chosen once per load. */
  private readonly currentByAlg = new Map<SigningAlg, LoadedKey | undefined>();
  private readonly refreshMs: number;

  constructor(private readonly options: KeyRingOptions) {
    this.refreshMs = options.refreshMs ?? 5_000;
  }

  /** The newest active key of `alg`, created on first use. */
  async signingKey(alg: SigningAlg): Promise<LoadedKey> {
    await this.fresh();
    const found = this.current(alg);
    if (found) return found;
    await this.create(alg);
    await this.reload();
    const created = this.current(alg);
    if (!created) throw new Error(`no ${alg} signing key after creating one`);
    return created;
  }

  /** The key named by a token header; re-reads the database (at most once a second) when unknown. */
  async verificationKey(kid: string): Promise<LoadedKey | undefined> {
    await this.fresh();
    let key = this.keys.find((k) => k.kid === kid);
    if (!key && this.options.clock.now() - this.loadedAt > 1_000) {
      await this.reload();
      key = this.keys.find((k) => k.kid === kid);
    }
    return key;
  }

  /** Public keys that may still validate a token (RFC 7517 JWK Set). */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    return { keys: this.keys.map((k) => ({ ...k.publicJwk })) };
  }

  /** The same JWK Set as JSON text, built once per load of the keys (served as is). */
  async jwksJson(): Promise<string> {
    await this.fresh();
    this.jwksText ??= JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) });
    return this.jwksText;
  }

  /** The JWK Set as JSON text when the keys need no re-read, else null (for answers that cannot wait). */
  jwksJsonIfFresh(): string | null {
    if (this.options.clock.now() - this.loadedAt >= this.refreshMs) return null;
    this.jwksText ??= JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) });
    return this.jwksText;
  }

  /** Adds a new key for each algorithm and retires the previous ones (they keep validating). */
  async rotate(algs: readonly SigningAlg[] = SIGNING_ALGS): Promise<StoredSigningKey[]> {
    const out: StoredSigningKey[] = [];
    for (const alg of algs) {
      const key = await this.create(alg);
      await this.options.store.retireOthers(alg, key.kid, this.options.clock.now());
      out.push(key);
    }
    await this.options.store.purgeRetired(this.options.clock.now() - this.options.retainRetiredMs);
    await this.reload();
    return out;
  }

  /** Forces the next use to read the database (tests, CLI). */
  invalidate(): void {
    this.loadedAt = Number.NEGATIVE_INFINITY;
  }

  private current(alg: SigningAlg): LoadedKey | undefined {
    let key = this.currentByAlg.get(alg);
    if (key === undefined && !this.currentByAlg.has(alg)) {
      // Newest first; ties broken by kid so every instance picks the same key.
      key = this.keys
        .filter((k) => k.alg === alg && k.retiredAt === null && k.privateKey !== null)
        .sort((a, b) => b.createdAt - a.createdAt || (a.kid < b.kid ? -1 : 1))[0];
      this.currentByAlg.set(alg, key);
    }
    return key;
  }

  private async fresh(): Promise<void> {
    if (this.options.clock.now() - this.loadedAt < this.refreshMs) return;
    await this.reload();
  }

  private reload(): Promise<void> {
    if (!this.loading) {
      this.loading = this.load().finally(() => {
        this.loading = null;
      });
    }
    return this.loading;
  }

  private async load(): Promise<void> {
    const now = this.options.clock.now();
    const rows = await this.options.store.list();
    const keys: LoadedKey[] = [];
    for (const row of rows) {
      if (!isSigningAlg(row.alg)) continue;
      if (row.retiredAt !== null && row.retiredAt + this.options.retainRetiredMs < now) continue;
      const publicJwk = row.publicJwk as JWK;
      keys.push({
        kid: row.kid,
        alg: row.alg,
        publicKey: createPublicKey({ key: publicJwk, format: 'jwk' }),
        privateKey:
          row.retiredAt === null
            ? createPrivateKey({ key: JSON.parse(this.options.secrets.open(row.privateSealed, sealContext(row.kid))) as JWK, format: 'jwk' })
            : null,
        publicJwk,
        createdAt: row.createdAt,
        retiredAt: row.retiredAt,
      });
    }
    this.keys = keys;
    this.currentByAlg.clear();
    this.jwksText = null;
    this.loadedAt = this.options.clock.now();
  }

  private async create(alg: SigningAlg): Promise<StoredSigningKey> {
    const pair = alg === 'ES256' ? await generate('ec', { namedCurve: 'P-256' }) : await generate('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
    const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
    const basePublic = pair.publicKey.export({ format: 'jwk' }) as JWK;
    // RFC 7638 thumbprint as kid: stable, unique per key, reveals nothing.
    const kid = await calculateJwkThumbprint(basePublic, 'sha256');
    const publicJwk: JWK = { ...basePublic, kid, alg, use: 'sig' };
    const stored: StoredSigningKey = {
      kid,
      alg,
      publicJwk: publicJwk as Record<string, unknown>,
      privateSealed: this.options.secrets.seal(JSON.stringify(privateJwk), sealContext(kid)),
      createdAt: this.options.clock.now(),
      retiredAt: null,
    };
    await this.options.store.insert(stored);
    return stored;
  }
}
