export const CLIENT_TYPES = ['oauth1', 'oauth2', 'oidc'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export const CLIENT_STATUSES = ['pending', 'approved', 'disapproved'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** Grants the reference table lists for both OAuth 2.0 and OIDC, plus client_credentials as an extension. */
export const GRANT_TYPES = ['authorization_code', 'password', 'refresh_token', DEVICE_CODE_GRANT, 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const OAUTH2_RESPONSE_TYPES = ['code', 'token'] as const;
export const OIDC_RESPONSE_TYPES = ['code', 'code id_token', 'code id_token token', 'code token', 'id_token', 'id_token token'] as const;

export function responseTypesFor(type: 'oauth2' | 'oidc'): readonly string[] {
  return type === 'oauth2' ? OAUTH2_RESPONSE_TYPES : OIDC_RESPONSE_TYPES;
}

/** Space-separated response types are order-insensitive (RFC 6749 §3.1.1). */
export function normalizeResponseType(value: string): string {
  const parts = value.split(' ').filter((p) => p !== '');
  const order = ['code', 'id_token', 'token'];
  parts.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return parts.join(' ');
}

/** Open-ended, extension settings kept per client (registration metadata, algorithms, …). */
export type ClientMetadata = Record<string, unknown>;

export interface Client {
  key: string;
  type: ClientType;
  name: string;
  status: ClientStatus;
  /** Sealed secret (see SecretBox); null for public clients. */
  secretSealed: string | null;
  isPublic: boolean;
  requirePkce: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  /** OAuth 1.0a: registered callback URL or 'oob'; null when any callback is allowed. */
  callbackUrl: string | null;
  /** OAuth 1.0a: PEM public key for RSA-SHA1. */
  rsaPublicKey: string | null;
  metadata: ClientMetadata;
  createdAt: number;
  updatedAt: number;
  statusChangedAt: number | null;
  statusChangedBy: string | null;
  lastUsedAt: number | null;
  /** How the client came to be: 'admin', 'cli', 'registration', 'oslc'. */
  createdVia: string;
  /**
   * A resource server may introspect access tokens issued to other clients (RFC 7662 §2.1) and
   * verify OAuth 1.0a requests; set by an administrator only, never by self-registration.
   */
  resourceServer: boolean;
  /**
   * Increases with every write of the client (settings, metadata, secret, status), so that an
   * approval can name the version the administrator reviewed.
   */
  version: number;
  /**
   * Stored fields (by their API names) that could not be read back and read as empty instead; an
   * administrator sees them marked. Saving the client writes the empty value.
   */
  unreadableFields?: string[];
}

export function isUsable(client: Client | undefined): client is Client {
  return client !== undefined && client.status === 'approved';
}

/** Context bound into a sealed secret, so ciphertexts cannot be moved between clients. */
export function secretContext(key: string): string {
  return `client-secret:${key}`;
}
