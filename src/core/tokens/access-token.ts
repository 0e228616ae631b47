import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from 'jose';
import { randomToken } from '../crypto/random.js';
import { InvalidToken } from '../oauth2/errors.js';
import { type Clock, epochSeconds, type Random } from '../ports.js';
import { signCompact } from './jws.js';
import { type KeyRing, SIGNING_ALGS, type SigningAlg } from './signing-keys.js';

/** RFC 9068 §2.1: the media type of JWT access tokens. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/** RFC 9068 §2.2 claims, plus `gid`, the grant the token belongs to (checked on every use). */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  /** Latchkey's own API, or the resource(s) the client asked for (RFC 8707 §2, RFC 9068 §3). */
  aud: string | string[];
  client_id: string;
  scope: string;
  jti: string;
  iat: number;
  exp: number;
  /** RFC 9068 §2.2.1: when the user authenticated (seconds). */
  auth_time?: number;
  gid: string;
}

export interface MintInput {
  grantId: string;
  clientKey: string;
  /** User id, or the client key for client_credentials (RFC 9068 §2.2). */
  subject: string;
  scopes: readonly string[];
  authTime: number | null;
  alg: SigningAlg;
  ttlSeconds: number;
  /** RFC 8707: the resources the token is for; absent or empty: the default audience. */
  audience?: readonly string[];
}

/** Whose audience verify accepts: Latchkey's own API only, or any (introspection answers for every resource). */
export type AudienceCheck = 'own' | 'any';

export interface MintedAccessToken {
  token: string;
  claims: AccessTokenClaims;
}

export interface AccessTokenOptions {
  keys: KeyRing;
  clock: Clock;
  random: Random;
  issuer: string;
  /** The resource the tokens are for: Latchkey's own API. */
  audience: string;
}

/** Verified tokens remembered at most; more empties the cache. */
const VERIFIED_CACHE_SIZE = 5000;

/** Mints and verifies RFC 9068 JWT access tokens. */
export class AccessTokens {
  /**
   * Tokens whose signature and claims were checked once, as a resource server caches them: a
   * client sends the same token with every API call, and an ES256 verification costs far more than
   * the rest of the request. Expiry and the signing key are still checked on every use.
   */
  private readonly verified = new Map<string, { kid: string; claims: AccessTokenClaims }>();

  constructor(private readonly options: AccessTokenOptions) {}

  get audience(): string {
    return this.options.audience;
  }

  async mint(input: MintInput): Promise<MintedAccessToken> {
    const key = await this.options.keys.signingKey(input.alg);
    if (!key.privateKey) throw new Error('signing key has no private part');
    const iat = epochSeconds(this.options.clock);
    const claims: AccessTokenClaims = {
      iss: this.options.issuer,
      sub: input.subject,
      aud: audienceClaim(input.audience, this.options.audience),
      client_id: input.clientKey,
      scope: input.scopes.join(' '),
      jti: randomToken(this.options.random, 128),
      iat,
      exp: iat + input.ttlSeconds,
      ...(input.authTime === null ? {} : { auth_time: Math.floor(input.authTime / 1000) }),
      gid: input.grantId,
    };
    const token = signCompact(key.alg, key.privateKey, { typ: ACCESS_TOKEN_TYP, kid: key.kid }, { ...claims });
    return { token, claims };
  }

  /**
   * RFC 9068 §4: signature by one of our keys, `typ` at+jwt, our issuer and audience, not expired.
   * Whether the grant, client and user are still live is the caller's second step.
   */
  async verify(token: string, audience: AudienceCheck = 'own'): Promise<AccessTokenClaims> {
    if (token.length > 8192 || token.split('.').length !== 3) throw new InvalidToken('the access token is malformed');
    const known = this.verified.get(token);
    if (known && audience === 'own' && !audienceIncludes(known.claims.aud, this.options.audience)) {
      throw new InvalidToken('the access token is for another resource', 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    }
    if (known) {
      // As jose decides: expired once exp <= now (seconds).
      if (known.claims.exp > Math.floor(this.options.clock.now() / 1000) && (await this.options.keys.verificationKey(known.kid))) return { ...known.claims };
      this.verified.delete(token);
    }
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      throw new InvalidToken('the access token is malformed');
    }
    if (typeof kid !== 'string') throw new InvalidToken('the access token was not issued by this server');
    const key = await this.options.keys.verificationKey(kid);
    if (!key) throw new InvalidToken('the access token was signed by an unknown or retired key');
    try {
      const { payload } = await jwtVerify(token, key.publicKey, {
        issuer: this.options.issuer,
        ...(audience === 'own' ? { audience: this.options.audience } : {}),
        typ: ACCESS_TOKEN_TYP,
        algorithms: [key.alg],
        currentDate: new Date(this.options.clock.now()),
        requiredClaims: ['sub', 'client_id', 'jti', 'iat', 'exp', 'gid'],
      });
      const p = payload as Record<string, unknown>;
      if (typeof p.gid !== 'string' || typeof p.client_id !== 'string' || typeof p.sub !== 'string') {
        throw new InvalidToken('the access token lacks required claims');
      }
      const aud = readAudience(p.aud);
      if (aud === null) throw new InvalidToken('the access token lacks required claims');
      const claims: AccessTokenClaims = {
        iss: String(p.iss),
        sub: p.sub,
        aud,
        client_id: p.client_id,
        scope: typeof p.scope === 'string' ? p.scope : '',
        jti: String(p.jti),
        iat: Number(p.iat),
        exp: Number(p.exp),
        ...(typeof p.auth_time === 'number' ? { auth_time: p.auth_time } : {}),
        gid: p.gid,
      };
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.clear();
      this.verified.set(token, { kid, claims });
      return { ...claims };
    } catch (err) {
      if (err instanceof InvalidToken) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new InvalidToken('the access token has expired');
      if (err instanceof joseErrors.JOSEError) throw new InvalidToken('the access token is invalid', err.code);
      throw err;
    }
  }
}

/** RFC 7519 §4.1.3: one audience as a string, several as an array. */
function audienceClaim(resources: readonly string[] | undefined, fallback: string): string | string[] {
  if (!resources || resources.length === 0) return fallback;
  return resources.length === 1 ? (resources[0] as string) : [...resources];
}

function readAudience(v: unknown): string | string[] | null {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return [...v];
  return null;
}

export function audienceIncludes(aud: string | readonly string[], value: string): boolean {
  return typeof aud === 'string' ? aud === value : aud.includes(value);
}

export { SIGNING_ALGS };
