import type { Client } from '../clients/client.js';
import { sha256Hex } from '../crypto/constant-time.js';
import { randomToken } from '../crypto/random.js';
import type { User } from '../ports.js';
import type { MintedAccessToken } from '../tokens/access-token.js';
import { isSigningAlg, type SigningAlg } from '../tokens/signing-keys.js';
import type { OAuth2Deps } from './deps.js';
import type { GrantResult } from './grants/grant.js';
import type { GrantRecord } from './storage.js';

/** What was issued for one grant result, handed to response extensions (OIDC adds id_token). */
export interface IssuedTokens {
  client: Client;
  grant: GrantRecord;
  user: User | null;
  scopes: string[];
  accessToken: MintedAccessToken;
  refreshToken: string | null;
  /** The endpoint that issued them: "token" or "authorize". */
  endpoint: 'token' | 'authorize';
  /** The grant_type of the token request (token endpoint only). */
  grantType?: string;
}

/** Adds fields to a successful token response (RFC 6749 §5.1 allows extension parameters). */
export type TokenResponseExtension = (issued: IssuedTokens) => Promise<Record<string, unknown>>;

/** Per-client access-token algorithm (client metadata `access_token_signed_response_alg`), else the server default. */
export function accessTokenAlg(client: Client, fallback: SigningAlg): SigningAlg {
  const chosen = client.metadata.access_token_signed_response_alg;
  return isSigningAlg(chosen) ? chosen : fallback;
}

export async function mintAccessToken(
  deps: Pick<OAuth2Deps, 'accessTokens' | 'settings'>,
  client: Client,
  grant: GrantRecord,
  scopes: string[],
  /** RFC 8707: the resources the token is for; none: Latchkey's own API. */
  resources: readonly string[] = [],
): Promise<MintedAccessToken> {
  return deps.accessTokens.mint({
    grantId: grant.id,
    clientKey: client.key,
    subject: grant.userId ?? client.key,
    scopes,
    authTime: grant.authTime,
    alg: accessTokenAlg(client, deps.settings.signingAlg),
    ttlSeconds: deps.settings.accessTokenTtl,
    ...(resources.length > 0 ? { audience: resources } : {}),
  });
}

/** Opaque refresh token: 256 random bits, stored only as its SHA-256. */
export async function newRefreshToken(deps: Pick<OAuth2Deps, 'refreshTokens' | 'random' | 'clock' | 'settings'>, grantId: string): Promise<string> {
  const token = randomToken(deps.random, 256);
  const now = deps.clock.now();
  await deps.refreshTokens.insert({ hash: sha256Hex(token), grantId, createdAt: now, expiresAt: now + deps.settings.refreshTokenTtl * 1000, rotatedAt: null });
  return token;
}

/** RFC 6749 §5.1: mints the tokens a grant result calls for. */
export async function issueTokens(deps: OAuth2Deps, client: Client, result: GrantResult, grantType: string): Promise<IssuedTokens> {
  const accessToken = await mintAccessToken(deps, client, result.grant, result.scopes, result.resources ?? []);
  const refreshToken = result.refreshToken ? await newRefreshToken(deps, result.grant.id) : null;
  return { client, grant: result.grant, user: result.user, scopes: result.scopes, accessToken, refreshToken, endpoint: 'token', grantType };
}

export function tokenResponseBody(issued: IssuedTokens): Record<string, unknown> {
  return {
    access_token: issued.accessToken.token,
    token_type: 'Bearer',
    expires_in: issued.accessToken.claims.exp - issued.accessToken.claims.iat,
    scope: issued.scopes.join(' '),
    ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
  };
}
