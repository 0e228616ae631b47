import type { Client } from '../clients/client.js';
import { constantTimeEqual, sha256Hex } from '../crypto/constant-time.js';
import { randomToken } from '../crypto/random.js';
import { type Clock, type Random, StaleWriteError, type ThrottleStore } from '../ports.js';
import { type RegistrationMode, registrationClientUri } from './endpoints.js';
import { errorResponse, NO_STORE, RegistrationError, type RegistrationResponse } from './errors.js';
import { type ParsedRegistration, parseRegistration, type RegistrableType, type RegistrationPolicy } from './metadata.js';
import { type InitialAccessTokenStore, type RegistrationAccessTokenStore, type RegistryPort, refusalText } from './ports.js';
import { clientInformation, isRegistrationMetadataKey } from './response.js';
import { reviewChanges } from './review.js';

export interface RegistrationSettings {
  issuer: string;
  mode: RegistrationMode;
  policy: RegistrationPolicy;
  /** Registration calls (POST and PUT) per source address and window. */
  rateLimit: number;
  rateWindowMs: number;
  /** Self-registered clients allowed to wait for approval at once. */
  maxPending: number;
}

export interface RegistrationDeps {
  registry: RegistryPort;
  accessTokens: RegistrationAccessTokenStore;
  initialTokens: InitialAccessTokenStore;
  throttle: ThrottleStore;
  clock: Clock;
  random: Random;
  settings: RegistrationSettings;
  /** Scopes clients of a type may ask for, to check `scope`; undefined skips the check. */
  knownScopes?: (type: RegistrableType) => readonly string[] | undefined;
}

/** A registration call, as the core sees it. */
export interface RegistrationCall {
  type: RegistrableType;
  authorization: string | undefined;
  contentType: string | undefined;
  body: unknown;
  remoteAddress: string;
  userAgent: string | undefined;
  /** The client_id in the registration_client_uri (RFC 7592 calls only). */
  clientId?: string;
}

export const REGISTRATION_ACTOR_NAME = 'registration';
export const INITIAL_TOKEN_PREFIX = 'lkiat_';
const ACCESS_TOKEN_PREFIX = 'lkrat_';

/**
 * RFC 7591 registration and RFC 7592 management, framework-free. Clients are created pending through
 * the registry; the registration access token is stored hashed and never readable again.
 */
export class RegistrationService {
  constructor(private readonly deps: RegistrationDeps) {}

  /** RFC 7591 §3: POST to the registration endpoint. */
  register(call: RegistrationCall): Promise<RegistrationResponse> {
    return answer(async () => {
      const { settings } = this.deps;
      if (settings.mode === 'off') {
        throw new RegistrationError('access_denied', 'client registration is turned off on this server; ask an administrator for a client key', 403);
      }
      await this.throttle(call);
      const presented = bearer(call.authorization);
      const tokenHash = presented === undefined ? undefined : sha256Hex(presented);
      if (tokenHash === undefined && settings.mode === 'token') {
        throw RegistrationError.token('this server registers clients only with an initial access token from an administrator (Authorization: Bearer …)', false);
      }
      if (tokenHash !== undefined) {
        const check = await this.deps.initialTokens.check(tokenHash, this.deps.clock.now());
        if (!check.ok) throw RegistrationError.token(refusalText(check.reason), true);
      }
      requireJson(call.contentType);
      const parsed = parseRegistration(call.body, {
        type: call.type,
        policy: settings.policy,
        purpose: 'register',
        knownScopes: this.deps.knownScopes?.(call.type),
      });
      const pending = await this.deps.registry.countPendingRegistrations();
      if (pending >= settings.maxPending) {
        throw new RegistrationError(
          'temporarily_unavailable',
          `${pending} registrations are already waiting for an administrator's approval (the limit is ${settings.maxPending}); try again later`,
          503,
        );
      }
      // The use is counted only now, so a request with bad metadata does not spend the token.
      let initialTokenId: string | null = null;
      if (tokenHash !== undefined) {
        const used = await this.deps.initialTokens.use(tokenHash, this.deps.clock.now());
        if (!used.ok) throw RegistrationError.token(refusalText(used.reason), true);
        initialTokenId = used.token.id;
      }

      const now = this.deps.clock.now();
      const actor = { name: REGISTRATION_ACTOR_NAME, source: call.remoteAddress };
      const { client, secret } = await this.deps.registry.create(
        {
          type: call.type,
          name: parsed.name,
          public: parsed.isPublic,
          redirect_uris: parsed.redirectUris,
          ...(call.type === 'oidc' ? { post_logout_redirect_uris: parsed.postLogoutRedirectUris } : {}),
          grant_types: parsed.grantTypes,
          response_types: parsed.responseTypes,
          metadata: {
            ...parsed.metadata,
            registration: {
              source_address: call.remoteAddress,
              user_agent: call.userAgent?.slice(0, 300) ?? null,
              registered_at: new Date(now).toISOString(),
              initial_access_token: initialTokenId,
              name_defaulted: parsed.nameDefaulted,
              ignored_fields: parsed.ignoredFields,
            },
          },
        },
        actor,
        'registration',
      );
      const accessToken = `${ACCESS_TOKEN_PREFIX}${randomToken(this.deps.random, 256)}`;
      try {
        await this.deps.accessTokens.put(client.key, sha256Hex(accessToken), now);
      } catch (err) {
        // Without its token nobody could manage the registration: undo it.
        await this.deps.registry.remove(client.key, actor).catch(() => {});
        throw err;
      }
      return {
        status: 201,
        headers: { ...NO_STORE },
        body: clientInformation(client, {
          clientSecret: secret,
          registrationAccessToken: accessToken,
          registrationClientUri: registrationClientUri(settings.issuer, call.type, client.key),
        }),
      };
    });
  }

  /** RFC 7592 §2.1: GET at the registration_client_uri; shows the current status for polling. */
  read(call: RegistrationCall): Promise<RegistrationResponse> {
    return answer(async () => {
      const { client, token } = await this.authenticate(call);
      return { status: 200, headers: { ...NO_STORE }, body: this.information(client, token) };
    });
  }

  /**
   * RFC 7592 §2.2: PUT replaces the metadata. A change of any reviewed field (review.ts) sends an
   * approved client back to pending in the same write, so new settings are never usable unseen.
   */
  update(call: RegistrationCall): Promise<RegistrationResponse> {
    return answer(async () => {
      await this.throttle(call);
      let { client, token } = await this.authenticate(call);
      requireJson(call.contentType);
      const type = client.type as RegistrableType;
      const parsed = parseRegistration(call.body, { type, policy: this.deps.settings.policy, purpose: 'update', knownScopes: this.deps.knownScopes?.(type) });
      if (parsed.clientId !== client.key) throw RegistrationError.metadata("client_id: must be this client's client_id");
      const actor = { name: REGISTRATION_ACTOR_NAME, source: call.remoteAddress };
      // The decision rests on the version read; a write in between (an approval, an administrator's
      // edit) makes the store refuse ours, and the update is decided again on what is stored then.
      for (let attempt = 1; ; attempt++) {
        this.checkUpdate(client, parsed);
        const next = updatedClient(client, parsed, call.remoteAddress, this.deps.clock.now());
        const changes = reviewChanges(client, next);
        const previous = isRecord(client.metadata.registration) ? client.metadata.registration : {};
        const sameIgnored = JSON.stringify(previous.ignored_fields ?? []) === JSON.stringify(parsed.ignoredFields);
        if (changes.reviewed.length === 0 && changes.unreviewed.length === 0 && sameIgnored) {
          // Nothing changed: no new version, so an administrator's review stays current.
          return { status: 200, headers: { ...NO_STORE }, body: this.information(client, token) };
        }
        const backToPending = changes.reviewed.length > 0 ? `registration update changed ${changes.reviewed.join(', ')}` : undefined;
        try {
          const { client: updated } = await this.deps.registry.update(
            client.key,
            {
              name: next.name,
              redirect_uris: next.redirectUris,
              ...(client.type === 'oidc' ? { post_logout_redirect_uris: next.postLogoutRedirectUris } : {}),
              grant_types: next.grantTypes,
              response_types: next.responseTypes,
              metadata: next.metadata,
            },
            actor,
            { version: client.version, ...(backToPending !== undefined ? { backToPending } : {}) },
          );
          return { status: 200, headers: { ...NO_STORE }, body: this.information(updated, token) };
        } catch (err) {
          if (!(err instanceof StaleWriteError)) throw err;
          if (attempt >= 3) {
            throw new RegistrationError('temporarily_unavailable', 'the registration is being changed by another request; try again', 503, {
              'retry-after': '1',
            });
          }
          ({ client, token } = await this.authenticate(call));
        }
      }
    });
  }

  /** RFC 7592 §2.2 rules that depend on the stored client. */
  private checkUpdate(client: Client, parsed: ParsedRegistration): void {
    if (parsed.isPublic !== client.isPublic) {
      throw RegistrationError.metadata(
        'token_endpoint_auth_method: cannot change between "none" (public client) and a secret-based method; register a new client instead',
      );
    }
    if (parsed.clientSecret !== undefined) {
      const current = this.deps.registry.openSecret(client);
      // RFC 7592 §2.2: a client cannot choose its secret; a repeated one must match the issued one.
      if (current === null || !constantTimeEqual(parsed.clientSecret, current)) {
        throw RegistrationError.metadata('client_secret: does not match the issued secret (a client cannot choose its secret)');
      }
    }
  }

  /** RFC 7592 §2.3: DELETE removes the client, its key retired for good. */
  remove(call: RegistrationCall): Promise<RegistrationResponse> {
    return answer(async () => {
      const { client } = await this.authenticate(call);
      await this.deps.registry.remove(client.key, { name: REGISTRATION_ACTOR_NAME, source: call.remoteAddress });
      await this.deps.accessTokens.remove(client.key);
      return { status: 204, headers: { ...NO_STORE } };
    });
  }

  private information(client: Client, token: string): Record<string, unknown> {
    return clientInformation(client, {
      // RFC 7592 §3 requires the token in the response; only its hash is stored, so the presented one is echoed.
      registrationAccessToken: token,
      registrationClientUri: registrationClientUri(this.deps.settings.issuer, client.type as RegistrableType, client.key),
    });
  }

  /**
   * RFC 7592 §2: the registration access token must belong to the client named in the URI. Every
   * failure reads the same, so the answer does not reveal whether a client exists.
   */
  private async authenticate(call: RegistrationCall): Promise<{ client: Client; token: string }> {
    const token = bearer(call.authorization);
    if (token === undefined) throw RegistrationError.token('send the registration access token (Authorization: Bearer …)', false);
    const key = await this.deps.accessTokens.findClientKey(sha256Hex(token));
    const client = key !== undefined && key === call.clientId ? await this.deps.registry.get(key) : undefined;
    if (!client || client.type !== call.type) {
      throw RegistrationError.token('the registration access token is not valid for this client', true);
    }
    return { client, token };
  }

  private async throttle(call: RegistrationCall): Promise<void> {
    const { rateLimit, rateWindowMs } = this.deps.settings;
    const hits = await this.deps.throttle.hit(`registration:${call.remoteAddress}`, this.deps.clock.now(), rateWindowMs);
    if (hits > rateLimit) {
      const seconds = Math.ceil(rateWindowMs / 1000);
      throw new RegistrationError(
        'temporarily_unavailable',
        `too many registration requests from this address (at most ${rateLimit} in ${seconds} s); try again later`,
        429,
        { 'retry-after': String(seconds) },
      );
    }
  }
}

/** Runs a handler, turning registration errors into their responses; anything else propagates. */
async function answer(handler: () => Promise<RegistrationResponse>): Promise<RegistrationResponse> {
  try {
    return await handler();
  } catch (err) {
    if (err instanceof RegistrationError) return errorResponse(err);
    throw err;
  }
}

/** RFC 6750 §2.1: `Authorization: Bearer <token>`; anything else counts as no token. */
export function bearer(header: string | undefined): string | undefined {
  const m = header === undefined ? null : /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return m?.[1];
}

/** RFC 7591 §3.1: the metadata is sent as a JSON document. */
function requireJson(contentType: string | undefined): void {
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (media !== 'application/json') {
    throw RegistrationError.metadata('the request body must be a JSON object sent as application/json (RFC 7591 §3.1)');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The client as an update leaves it: registration metadata replaced, the administrator's kept. */
export function updatedClient(client: Client, parsed: ParsedRegistration, source: string, now: number): Client {
  const kept = Object.fromEntries(Object.entries(client.metadata).filter(([k]) => !isRegistrationMetadataKey(k) && k !== 'registration'));
  const previous = isRecord(client.metadata.registration) ? client.metadata.registration : {};
  return {
    ...client,
    // A name the server chose stays until the client sends its own.
    name: parsed.nameDefaulted ? client.name : parsed.name,
    redirectUris: parsed.redirectUris,
    postLogoutRedirectUris: client.type === 'oidc' ? parsed.postLogoutRedirectUris : client.postLogoutRedirectUris,
    grantTypes: parsed.grantTypes,
    responseTypes: parsed.responseTypes,
    metadata: {
      ...kept,
      ...parsed.metadata,
      registration: { ...previous, updated_at: new Date(now).toISOString(), updated_from: source, ignored_fields: parsed.ignoredFields },
    },
  };
}
