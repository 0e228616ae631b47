/**
 * Builders of core objects for unit tests: a valid, approved, confidential OAuth 2.0 client and
 * an enabled user by default, each changed by one named step, e.g.
 * `aClient().public().withGrant('authorization_code').withRedirect('https://app.example/cb').build()`.
 * Test code only: excluded from the production build (tsconfig.json).
 */
import type { Client, ClientStatus, ClientType } from '../clients/client.js';
import type { SignedRequest } from '../oauth1/request.js';
import { percentEncode, signatureBaseString } from '../oauth1/signature/base-string.js';
import { hmacSignature } from '../oauth1/signature/hmac.js';
import { plaintextSignature } from '../oauth1/signature/plaintext.js';
import type { GrantRecord } from '../oauth2/storage.js';
import type { User, UserProfile } from '../ports.js';

/** The clock every builder stamps its objects with, unless told otherwise. */
export const T0 = Date.UTC(2026, 0, 1);

export class ClientBuilder {
  private c: Client = {
    key: 'app',
    type: 'oauth2',
    name: 'App',
    status: 'approved',
    secretSealed: 'sealed:app-secret',
    isPublic: false,
    requirePkce: false,
    redirectUris: [],
    postLogoutRedirectUris: [],
    grantTypes: [],
    responseTypes: [],
    callbackUrl: null,
    rsaPublicKey: null,
    metadata: {},
    createdAt: T0,
    updatedAt: T0,
    statusChangedAt: null,
    statusChangedBy: null,
    lastUsedAt: null,
    createdVia: 'admin',
    resourceServer: false,
    version: 1,
  };

  key(key: string): this {
    this.c.key = key;
    return this;
  }

  named(name: string): this {
    this.c.name = name;
    return this;
  }

  ofType(type: ClientType): this {
    this.c.type = type;
    return this;
  }

  oauth1(): this {
    return this.ofType('oauth1');
  }

  oidc(): this {
    return this.ofType('oidc');
  }

  /** A confidential client: `secretSealed` as the secret store keeps it. */
  confidential(secretSealed = 'sealed:app-secret'): this {
    this.c.isPublic = false;
    this.c.secretSealed = secretSealed;
    return this;
  }

  /** A public client (no secret), which must use PKCE (RFC 9700 §2.1.1). */
  public(): this {
    this.c.isPublic = true;
    this.c.secretSealed = null;
    this.c.requirePkce = true;
    return this;
  }

  requirePkce(required = true): this {
    this.c.requirePkce = required;
    return this;
  }

  withStatus(status: ClientStatus, changedAt: number | null = T0): this {
    this.c.status = status;
    this.c.statusChangedAt = changedAt;
    return this;
  }

  pending(): this {
    return this.withStatus('pending');
  }

  disapproved(): this {
    return this.withStatus('disapproved');
  }

  withGrant(...grantTypes: string[]): this {
    this.c.grantTypes = [...this.c.grantTypes, ...grantTypes];
    return this;
  }

  withResponseType(...responseTypes: string[]): this {
    this.c.responseTypes = [...this.c.responseTypes, ...responseTypes];
    return this;
  }

  withRedirect(...uris: string[]): this {
    this.c.redirectUris = [...this.c.redirectUris, ...uris];
    return this;
  }

  withPostLogoutRedirect(...uris: string[]): this {
    this.c.postLogoutRedirectUris = [...this.c.postLogoutRedirectUris, ...uris];
    return this;
  }

  /** OAuth 1.0a: the registered callback URL, or 'oob'. */
  withCallback(url: string | null): this {
    this.c.callbackUrl = url;
    return this;
  }

  withRsaKey(pem: string): this {
    this.c.rsaPublicKey = pem;
    return this;
  }

  withMetadata(metadata: Client['metadata']): this {
    this.c.metadata = { ...this.c.metadata, ...metadata };
    return this;
  }

  lastUsedAt(at: number | null): this {
    this.c.lastUsedAt = at;
    return this;
  }

  /** Any other field, for the rare case no step names. */
  with(fields: Partial<Client>): this {
    this.c = { ...this.c, ...fields };
    return this;
  }

  build(): Client {
    return structuredClone(this.c);
  }
}

export function aClient(): ClientBuilder {
  return new ClientBuilder();
}

export class UserBuilder {
  private u: User = {
    id: 'u1',
    username: 'alice',
    displayName: 'Alice',
    email: null,
    passwordHash: null,
    enabled: true,
    roles: [],
    createdAt: T0,
    updatedAt: T0,
    lastSignInAt: null,
  };

  id(id: string): this {
    this.u.id = id;
    return this;
  }

  named(username: string, displayName = username): this {
    this.u.username = username;
    this.u.displayName = displayName;
    return this;
  }

  withEmail(email: string | null): this {
    this.u.email = email;
    return this;
  }

  withPasswordHash(hash: string | null): this {
    this.u.passwordHash = hash;
    return this;
  }

  withRoles(...roles: string[]): this {
    this.u.roles = [...this.u.roles, ...roles];
    return this;
  }

  withProfile(profile: UserProfile, updatedAt?: number): this {
    this.u.profile = { ...this.u.profile, ...profile };
    if (updatedAt !== undefined) this.u.profileUpdatedAt = updatedAt;
    return this;
  }

  disabled(): this {
    this.u.enabled = false;
    return this;
  }

  with(fields: Partial<User>): this {
    this.u = { ...this.u, ...fields };
    return this;
  }

  build(): User {
    return structuredClone(this.u);
  }
}

export function aUser(): UserBuilder {
  return new UserBuilder();
}

export class GrantBuilder {
  private g: GrantRecord = {
    id: 'g1',
    clientKey: 'app',
    userId: 'u1',
    scopes: ['profile'],
    grantType: 'authorization_code',
    createdAt: T0,
    authTime: T0,
    revokedAt: null,
    extra: {},
  };

  id(id: string): this {
    this.g.id = id;
    return this;
  }

  forClient(client: Pick<Client, 'key'> | string): this {
    this.g.clientKey = typeof client === 'string' ? client : client.key;
    return this;
  }

  /** The user who granted it; null for a client-only grant. */
  ofUser(user: Pick<User, 'id'> | null): this {
    this.g.userId = user?.id ?? null;
    return this;
  }

  withScopes(...scopes: string[]): this {
    this.g.scopes = scopes;
    return this;
  }

  byGrantType(grantType: string): this {
    this.g.grantType = grantType;
    return this;
  }

  revokedAt(at: number | null): this {
    this.g.revokedAt = at;
    return this;
  }

  with(fields: Partial<GrantRecord>): this {
    this.g = { ...this.g, ...fields };
    return this;
  }

  build(): GrantRecord {
    return structuredClone(this.g);
  }
}

export function aGrant(): GrantBuilder {
  return new GrantBuilder();
}

/**
 * A signed OAuth 1.0a request (RFC 5849 §3.1) as the HTTP layer hands it to the core: protocol
 * parameters in the Authorization header (§3.5.1), signed with HMAC-SHA1 by the consumer `app`
 * whose secret is `app-secret`, at T0, over TLS, e.g.
 * `anOAuth1Request('POST', 'https://as.example/oauth1/request_token').withCallback('oob').build()`.
 */
export class OAuth1RequestBuilder {
  private consumerKey = 'app';
  private consumerSecret = 'app-secret';
  private tokenSecret = '';
  private method = 'HMAC-SHA1';
  private secure = true;
  private forged: string | null = null;
  private query = '';
  private readonly oauth = new Map<string, string>([
    ['oauth_timestamp', String(Math.floor(T0 / 1000))],
    ['oauth_nonce', 'nonce-1'],
    ['oauth_version', '1.0'],
  ]);

  constructor(
    private readonly httpMethod: string,
    private readonly baseUri: string,
  ) {}

  consumer(key: string, secret: string): this {
    this.consumerKey = key;
    this.consumerSecret = secret;
    return this;
  }

  /** Temporary or token credentials: oauth_token, and the secret that signs with it. */
  withToken(token: string, secret: string): this {
    this.oauth.set('oauth_token', token);
    this.tokenSecret = secret;
    return this;
  }

  withCallback(callback: string): this {
    this.oauth.set('oauth_callback', callback);
    return this;
  }

  withVerifier(verifier: string): this {
    this.oauth.set('oauth_verifier', verifier);
    return this;
  }

  /** oauth_timestamp of this instant (ms). */
  at(ms: number): this {
    this.oauth.set('oauth_timestamp', String(Math.floor(ms / 1000)));
    return this;
  }

  nonce(nonce: string): this {
    this.oauth.set('oauth_nonce', nonce);
    return this;
  }

  /** Any protocol parameter, e.g. oauth_version=2.0. */
  param(name: string, value: string): this {
    this.oauth.set(name, value);
    return this;
  }

  without(name: string): this {
    this.oauth.delete(name);
    return this;
  }

  /** Query parameters the signature covers (§3.4.1.3.1). */
  withQuery(query: string): this {
    this.query = query;
    return this;
  }

  signedWith(method: string): this {
    this.method = method;
    return this;
  }

  /** Sent over plain HTTP (not loopback). */
  insecure(): this {
    this.secure = false;
    return this;
  }

  /** Sends this oauth_signature instead of the right one. */
  forgedSignature(signature: string): this {
    this.forged = signature;
    return this;
  }

  build(): SignedRequest {
    const protocol: Array<[string, string]> = [['oauth_consumer_key', this.consumerKey], ['oauth_signature_method', this.method], ...this.oauth];
    const queryPairs = [...new URLSearchParams(this.query)];
    const base = signatureBaseString(this.httpMethod, this.baseUri, [...protocol, ...queryPairs]);
    const signature =
      this.forged ??
      (this.method === 'PLAINTEXT'
        ? plaintextSignature(this.consumerSecret, this.tokenSecret)
        : hmacSignature(this.method === 'HMAC-SHA256' ? 'sha256' : 'sha1', base, this.consumerSecret, this.tokenSecret));
    const signed: Array<[string, string]> = [...protocol, ['oauth_signature', signature]];
    const header = signed.map(([k, v]) => `${percentEncode(k)}="${percentEncode(v)}"`).join(', ');
    return {
      method: this.httpMethod,
      baseUri: this.baseUri,
      query: this.query,
      authorization: `OAuth realm="${this.baseUri}", ${header}`,
      formBody: null,
      secureTransport: this.secure,
      remoteAddress: '192.0.2.1',
    };
  }
}

export function anOAuth1Request(method: string, baseUri: string): OAuth1RequestBuilder {
  return new OAuth1RequestBuilder(method, baseUri);
}
