import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Client } from '../clients/client.js';
import { randomToken } from '../crypto/random.js';
import { type Clock, epochSeconds, type Random, type User } from '../ports.js';
import { isSigningAlg, type KeyRing, type SigningAlg } from '../tokens/signing-keys.js';
import { DEFAULT_ID_TOKEN_ALG } from './algorithms.js';
import { leftHalfHash } from './hashes.js';

/** The client's id_token_signed_response_alg, or the default. */
export function idTokenAlg(client: Pick<Client, 'metadata'>): SigningAlg {
  const chosen = client.metadata.id_token_signed_response_alg;
  return isSigningAlg(chosen) ? chosen : DEFAULT_ID_TOKEN_ALG;
}

export interface IdTokenInput {
  client: Pick<Client, 'key' | 'metadata'>;
  user: User;
  /** When the user authenticated (ms). */
  authTime: number | null;
  nonce?: string | undefined;
  sid?: string | undefined;
  acr?: string | undefined;
  /** For at_hash (OIDC Core §3.1.3.6). */
  accessToken?: string | undefined;
  /** For c_hash (§3.3.2.11). */
  code?: string | undefined;
  /** User claims to carry (already chosen by scope and claims request). */
  userClaims: Record<string, unknown>;
}

export type HintResult =
  | { status: 'valid'; sub: string; aud: string[]; sid: string | undefined }
  /** Not ours, altered, or malformed. */
  | { status: 'invalid'; reason: string }
  /** Signed by a key no longer published: cannot be checked, so only ignored. */
  | { status: 'unverifiable' };

export interface IdTokenOptions {
  keys: KeyRing;
  clock: Clock;
  random: Random;
  issuer: string;
  ttlSeconds: number;
}

/** Mints ID tokens (OIDC Core §2) and other JWTs of the provider, and reads id_token_hint values. */
export class IdTokens {
  readonly issuer: string;

  constructor(private readonly options: IdTokenOptions) {
    this.issuer = options.issuer;
  }

  jti(): string {
    return randomToken(this.options.random, 128);
  }

  /** Signs a claim set with the current key of `alg`. */
  async sign(claims: Record<string, unknown>, alg: SigningAlg, typ: string): Promise<string> {
    const key = await this.options.keys.signingKey(alg);
    if (!key.privateKey) throw new Error('signing key has no private part');
    return new SignJWT(claims).setProtectedHeader({ alg: key.alg, typ, kid: key.kid }).sign(key.privateKey);
  }

  async mint(input: IdTokenInput): Promise<{ token: string; claims: Record<string, unknown> }> {
    const alg = idTokenAlg(input.client);
    const iat = epochSeconds(this.options.clock);
    const claims: Record<string, unknown> = {
      ...input.userClaims,
      iss: this.options.issuer,
      sub: input.user.id,
      aud: input.client.key,
      iat,
      exp: iat + this.options.ttlSeconds,
      ...(input.authTime === null ? {} : { auth_time: Math.floor(input.authTime / 1000) }),
      ...(input.nonce === undefined ? {} : { nonce: input.nonce }),
      ...(input.sid ? { sid: input.sid } : {}),
      ...(input.acr === undefined ? {} : { acr: input.acr }),
      ...(input.accessToken === undefined ? {} : { at_hash: leftHalfHash(input.accessToken, alg) }),
      ...(input.code === undefined ? {} : { c_hash: leftHalfHash(input.code, alg) }),
    };
    return { token: await this.sign(claims, alg, 'JWT'), claims };
  }

  /**
   * Reads an ID token of ours given back as a hint: our signature and issuer; an expired one is
   * still a fine hint (OIDC Core §3.1.2.1, RP-Initiated Logout §2).
   */
  async readHint(token: string): Promise<HintResult> {
    if (token.length > 8192 || token.split('.').length !== 3) return { status: 'invalid', reason: 'malformed' };
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      return { status: 'invalid', reason: 'malformed' };
    }
    const kid = header.kid;
    if (typeof kid !== 'string') return { status: 'invalid', reason: 'no key id' };
    // Access tokens (at+jwt) and logout tokens (logout+jwt) are signed by the same keys: not hints.
    if (header.typ !== undefined && header.typ !== 'JWT') return { status: 'invalid', reason: 'not an ID token' };
    const key = await this.options.keys.verificationKey(kid);
    if (!key) return { status: 'unverifiable' };
    try {
      const { payload } = await jwtVerify(token, key.publicKey, { issuer: this.options.issuer, algorithms: [key.alg], currentDate: new Date(0) });
      if (typeof payload.sub !== 'string') return { status: 'invalid', reason: 'no subject' };
      const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
      return { status: 'valid', sub: payload.sub, aud, sid: typeof payload.sid === 'string' ? payload.sid : undefined };
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return { status: 'invalid', reason: err.code };
      throw err;
    }
  }
}
