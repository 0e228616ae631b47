import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { CLIENT_STATUSES, CLIENT_TYPES, type Client, normalizeResponseType, secretContext } from '../core/clients/client.js';
import { checkResources, clientResources, MAX_RESOURCE_LENGTH, MAX_RESOURCES, RESOURCES_METADATA } from '../core/clients/resources.js';
import {
  checkCallbackUrl,
  checkChosenSecret,
  checkMetadata,
  checkName,
  checkOAuth2Settings,
  DEFAULT_GRANT_TYPES,
  DEFAULT_RESPONSE_TYPES,
  type FieldProblem,
  requiresPkce,
} from '../core/clients/settings.js';
import { randomKey, randomToken } from '../core/crypto/random.js';
import type { SecretBox } from '../core/crypto/secret-box.js';
import { isOneOf } from '../core/one-of.js';
import type { AuditStore, ClientStore, Clock, Random } from '../core/ports.js';
import { DuplicateKeyError, StaleWriteError } from '../core/ports.js';
import { zodProblems } from '../core/validation.js';
import { type Actor, AdminError } from './errors.js';

const stringList = z.array(z.string().max(2000)).max(100);

export const clientInputSchema = z
  .object({
    type: z.enum(['oauth1', 'oauth2', 'oidc']),
    name: z.string().max(1000),
    secret: z.string().max(1000).optional(),
    public: z.boolean().optional(),
    require_pkce: z.boolean().optional(),
    redirect_uris: stringList.optional(),
    post_logout_redirect_uris: stringList.optional(),
    grant_types: stringList.optional(),
    response_types: stringList.optional(),
    callback_url: z.string().max(2000).nullable().optional(),
    rsa_public_key: z.string().max(20000).nullable().optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    resources: z
      .array(z.string().max(MAX_RESOURCE_LENGTH))
      .max(MAX_RESOURCES)
      .optional()
      .describe(
        'RFC 8707 resource indicators: the absolute URIs (without fragment) this client may name in the resource parameter; an access token asked for them carries them as its aud. Kept in the metadata as "resources". OAuth 2.0 and OpenID Connect clients only.',
      ),
    resource_server: z
      .boolean()
      .optional()
      .describe(
        'A resource server may introspect access tokens issued to other clients (RFC 7662) and verify OAuth 1.0a requests at /api/oauth1/verify. Off by default; confidential OAuth 2.0 and OpenID Connect clients only; never settable by self-registration.',
      ),
  })
  .strict();
export type ClientInput = z.infer<typeof clientInputSchema>;

export const clientPatchSchema = clientInputSchema.omit({ type: true }).partial().strict();
export type ClientPatch = z.infer<typeof clientPatchSchema>;

/** Approve and disapprove: the version of the client the decision was made on (a GET shows it). */
export const statusBodySchema = z.object({ version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional() }).strict();

const timestamp = z.iso.datetime();
const stringArray = z.array(z.string());

/** What is shown of a client: never the secret. The admin API documents its answers with this schema. */
export const clientViewSchema = z
  .object({
    client_key: z.string(),
    type: z.enum(CLIENT_TYPES),
    name: z.string(),
    status: z.enum(CLIENT_STATUSES),
    public: z.boolean(),
    require_pkce: z.boolean(),
    resource_server: z
      .boolean()
      .describe(
        'May introspect access tokens issued to other clients (RFC 7662 §4) and verify OAuth 1.0a requests; otherwise the client introspects only its own tokens',
      ),
    has_secret: z.boolean(),
    resources: stringArray.describe('RFC 8707 resource indicators the client may request tokens for'),
    redirect_uris: stringArray,
    post_logout_redirect_uris: stringArray,
    grant_types: stringArray,
    response_types: stringArray,
    callback_url: z.string().nullable(),
    rsa_public_key: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_via: z.string(),
    created_at: timestamp,
    updated_at: timestamp,
    status_changed_at: timestamp.nullable(),
    status_changed_by: z.string().nullable(),
    last_used_at: timestamp.nullable(),
    unreadable_fields: stringArray.describe(
      'Stored fields that could not be read back (damaged, too deeply nested) and show as empty; the server log names the client. Saving the client writes the empty values.',
    ),
    version: z.number().int().min(1).describe('Increases with every change; an approval names the version that was reviewed'),
  })
  .describe('A client as shown (never its secret)');
export type ClientView = z.output<typeof clientViewSchema>;

/** RFC 8707: the `resources` setting, kept in the client's metadata; after the metadata, which it overrides. */
function applyResources(client: Client, input: ClientPatch, problems: FieldProblem[]): Client {
  if (input.resources === undefined || client.type === 'oauth1') return client;
  const resources = input.resources.map((r) => r.trim()).filter((r) => r !== '');
  problems.push(...checkResources(resources));
  const { [RESOURCES_METADATA]: _old, ...rest } = client.metadata;
  return { ...client, metadata: resources.length > 0 ? { ...rest, [RESOURCES_METADATA]: resources } : rest };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function viewClient(c: Client): ClientView {
  return {
    client_key: c.key,
    type: c.type,
    name: c.name,
    status: c.status,
    public: c.isPublic,
    require_pkce: c.requirePkce,
    resource_server: c.resourceServer,
    has_secret: c.secretSealed !== null,
    resources: clientResources(c),
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    grant_types: c.grantTypes,
    response_types: c.responseTypes,
    callback_url: c.callbackUrl,
    rsa_public_key: c.rsaPublicKey,
    metadata: c.metadata,
    created_via: c.createdVia,
    created_at: iso(c.createdAt) ?? '',
    updated_at: iso(c.updatedAt) ?? '',
    status_changed_at: iso(c.statusChangedAt),
    status_changed_by: c.statusChangedBy,
    last_used_at: iso(c.lastUsedAt),
    unreadable_fields: c.unreadableFields ?? [],
    version: c.version,
  };
}

export interface ClientAdminDeps {
  clients: ClientStore;
  audit: AuditStore;
  secrets: SecretBox;
  clock: Clock;
  random: Random;
  /** Called after a client stops being usable (disapproved or removed), to cut off what it holds. */
  onCutOff: Array<(clientKey: string, reason: 'disapproved' | 'removed') => Promise<void>>;
  /** Called when a client starts waiting for approval. */
  onPending: Array<(client: Client) => Promise<void>>;
}

/** Client key: at least 128 random bits, URL-safe, never starting with "-" (read as an option by a CLI), never reused. */
function newClientKey(random: Random): string {
  return randomKey(random, 128);
}

/** Generated secrets carry 256 random bits. */
export function generateSecret(random: Random): string {
  return randomToken(random, 256);
}

export interface UpdateOptions {
  /** The version the change was decided on. */
  version?: number;
  /** Why an approved client goes back to pending with this change. */
  backToPending?: string;
}

function checkVersion(version: number | undefined): void {
  if (version !== undefined && !(Number.isSafeInteger(version) && version >= 1)) {
    throw AdminError.invalid([{ field: 'version', message: 'must be a positive integer' }]);
  }
}

/** 409: the client is no longer the version the decision was made on. */
function changedSince(seen: number, now?: number): AdminError {
  const at = now === undefined ? 'it was written meanwhile' : `it is now at version ${now}`;
  return new AdminError(409, 'conflict', `the client changed since version ${seen} was read (${at}); review it again and retry`);
}

/** Use cases of the client key registry, shared by the admin API, the CLI and registration. */
export class ClientAdmin {
  constructor(private readonly deps: ClientAdminDeps) {}

  async create(rawInput: unknown, actor: Actor, via = 'admin'): Promise<{ client: Client; secret: string | null }> {
    const parsed = clientInputSchema.safeParse(rawInput);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const input = parsed.data;
    const now = this.deps.clock.now();
    const isPublic = input.type !== 'oauth1' && input.public === true;
    const problems: FieldProblem[] = [...checkName(input.name), ...checkMetadata(input.metadata ?? {})];
    if (isPublic && input.secret !== undefined) problems.push({ field: 'secret', message: 'a public client has no secret' });
    if (input.secret !== undefined) problems.push(...checkChosenSecret(input.secret));

    let client: Client = {
      key: '',
      type: input.type,
      name: input.name.trim(),
      status: 'pending',
      secretSealed: null,
      isPublic,
      requirePkce: requiresPkce(isPublic, input.require_pkce === true),
      resourceServer: false,
      redirectUris: [],
      postLogoutRedirectUris: [],
      grantTypes: [],
      responseTypes: [],
      callbackUrl: null,
      rsaPublicKey: null,
      metadata: input.metadata ?? {},
      createdVia: via,
      createdAt: now,
      updatedAt: now,
      statusChangedAt: null,
      statusChangedBy: null,
      lastUsedAt: null,
      version: 1,
    };
    client = this.applySettings(client, input, problems, true);
    client = applyResources(client, input, problems);
    if (problems.length > 0) throw AdminError.invalid(problems);

    const secret = isPublic ? null : (input.secret ?? generateSecret(this.deps.random));
    for (let attempt = 0; ; attempt++) {
      client.key = newClientKey(this.deps.random);
      client.secretSealed = secret === null ? null : this.deps.secrets.seal(secret, secretContext(client.key));
      try {
        await this.deps.clients.insert(client);
        break;
      } catch (err) {
        if (!(err instanceof DuplicateKeyError) || attempt >= 3) throw err;
      }
    }
    await this.record(actor, 'client.create', client.key, { type: client.type, name: client.name, via });
    for (const hook of this.deps.onPending) await hook(client);
    return { client, secret };
  }

  /** Applies and checks the type-specific settings of an input or patch. */
  private applySettings(client: Client, input: ClientPatch, problems: FieldProblem[], creating: boolean): Client {
    const out = { ...client };
    if (client.type === 'oauth1') {
      for (const f of [
        'redirect_uris',
        'post_logout_redirect_uris',
        'grant_types',
        'response_types',
        'public',
        'require_pkce',
        'resource_server',
        'resources',
      ] as const) {
        if (input[f] !== undefined) problems.push({ field: f, message: 'does not apply to OAuth 1.0a consumers' });
      }
      if (input.callback_url !== undefined) {
        out.callbackUrl = input.callback_url === null || input.callback_url === '' ? null : input.callback_url;
        if (out.callbackUrl !== null) problems.push(...checkCallbackUrl(out.callbackUrl));
      }
      if (input.rsa_public_key !== undefined) {
        out.rsaPublicKey = input.rsa_public_key === null || input.rsa_public_key.trim() === '' ? null : input.rsa_public_key.trim();
        if (out.rsaPublicKey !== null && !isRsaPublicKey(out.rsaPublicKey)) {
          problems.push({ field: 'rsa_public_key', message: 'is not a PEM-encoded RSA public key' });
        }
      }
      return out;
    }
    for (const f of ['callback_url', 'rsa_public_key'] as const) {
      if (input[f] !== undefined && input[f] !== null) problems.push({ field: f, message: 'applies to OAuth 1.0a consumers only' });
    }
    if (input.redirect_uris !== undefined) out.redirectUris = input.redirect_uris.map((u) => u.trim()).filter((u) => u !== '');
    if (input.post_logout_redirect_uris !== undefined) {
      out.postLogoutRedirectUris = input.post_logout_redirect_uris.map((u) => u.trim()).filter((u) => u !== '');
    }
    if (input.grant_types !== undefined) out.grantTypes = input.grant_types;
    else if (creating) out.grantTypes = [...DEFAULT_GRANT_TYPES];
    if (input.response_types !== undefined) out.responseTypes = input.response_types.map(normalizeResponseType);
    // Without the authorization endpoint (e.g. client_credentials or device only) there is no response type.
    else if (creating) out.responseTypes = out.grantTypes.includes('authorization_code') ? [...DEFAULT_RESPONSE_TYPES] : [];
    if (input.require_pkce !== undefined) out.requirePkce = requiresPkce(out.isPublic, input.require_pkce);
    if (input.resource_server !== undefined) {
      // RFC 7662 §2.1: the introspection endpoint needs client authentication, which a public client has not.
      if (input.resource_server && out.isPublic) problems.push({ field: 'resource_server', message: 'a public client cannot introspect tokens' });
      else out.resourceServer = input.resource_server;
    }
    problems.push(
      ...checkOAuth2Settings({
        type: client.type,
        isPublic: out.isPublic,
        redirectUris: out.redirectUris,
        postLogoutRedirectUris: out.postLogoutRedirectUris,
        grantTypes: out.grantTypes,
        responseTypes: out.responseTypes,
      }),
    );
    return out;
  }

  async get(key: string): Promise<Client> {
    const client = await this.deps.clients.get(key);
    if (!client) throw AdminError.notFound('client');
    return client;
  }

  /**
   * Changes name, secret and settings; never the key. Returns the new secret when it changed.
   * `version`: only the client at this version is changed (409 conflict otherwise); without it, a
   * concurrent write makes the patch apply again to what is stored then. `backToPending`: an
   * approved client becomes pending in the same write, for that reason (a registrant changed what
   * an administrator reviewed).
   */
  async update(key: string, rawPatch: unknown, actor: Actor, options: UpdateOptions = {}): Promise<{ client: Client; secret: string | null }> {
    const parsed = clientPatchSchema.safeParse(rawPatch);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const patch = parsed.data;
    checkVersion(options.version);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(key);
      if (options.version !== undefined && current.version !== options.version) throw changedSince(options.version, current.version);
      const problems: FieldProblem[] = [];
      if (patch.public !== undefined && patch.public !== current.isPublic) {
        problems.push({ field: 'public', message: 'cannot change between public and confidential; create a new client' });
      }
      if (patch.name !== undefined) problems.push(...checkName(patch.name));
      if (patch.metadata !== undefined) problems.push(...checkMetadata(patch.metadata));
      if (patch.secret !== undefined) {
        if (current.isPublic) problems.push({ field: 'secret', message: 'a public client has no secret' });
        else problems.push(...checkChosenSecret(patch.secret));
      }
      // A field that could not be read is written back as its empty value.
      const { unreadableFields: _repaired, ...readable } = current;
      let next: Client = { ...readable, name: patch.name?.trim() ?? current.name };
      next = this.applySettings(next, patch, problems, false);
      if (patch.metadata !== undefined) next.metadata = patch.metadata;
      next = applyResources(next, patch, problems);
      if (problems.length > 0) throw AdminError.invalid(problems);
      let secret: string | null = null;
      if (patch.secret !== undefined) {
        secret = patch.secret;
        next.secretSealed = this.deps.secrets.seal(secret, secretContext(key));
      }
      const now = this.deps.clock.now();
      next.updatedAt = now;
      const toPending = options.backToPending !== undefined && current.status === 'approved';
      if (toPending) Object.assign(next, { status: 'pending', statusChangedAt: now, statusChangedBy: actor.name });
      next.version = current.version + 1;
      try {
        await this.deps.clients.update(next, { ifVersion: current.version });
      } catch (err) {
        if (!(err instanceof StaleWriteError)) throw err;
        if (options.version === undefined && attempt < 3) continue;
        throw changedSince(current.version);
      }
      const changed = Object.keys(patch).filter((k) => k !== 'secret');
      await this.record(actor, 'client.update', key, { changed, secret_changed: patch.secret !== undefined, version: next.version });
      if (toPending) {
        await this.record(actor, 'client.pending', key, { from: current.status, to: 'pending', reason: options.backToPending, version: next.version });
        for (const hook of this.deps.onCutOff) await hook(key, 'disapproved');
        for (const hook of this.deps.onPending) await hook(next);
      }
      return { client: next, secret };
    }
  }

  /** Generates a new secret (rotation). */
  async rotateSecret(key: string, actor: Actor): Promise<{ client: Client; secret: string }> {
    const secret = generateSecret(this.deps.random);
    const { client } = await this.update(key, { secret }, actor);
    return { client, secret };
  }

  /**
   * Sets the status. `version`: the version of the client the actor reviewed; when it changed since,
   * nothing is written (409 conflict). The audit entry records the version decided on.
   */
  async setStatus(
    key: string,
    status: 'approved' | 'disapproved' | 'pending',
    actor: Actor,
    reason?: string,
    options: { version?: number } = {},
  ): Promise<Client> {
    if (!isOneOf(CLIENT_STATUSES, status)) throw AdminError.invalid([{ field: 'status', message: 'unknown status' }]);
    checkVersion(options.version);
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(key);
      if (options.version !== undefined && current.version !== options.version) throw changedSince(options.version, current.version);
      const now = this.deps.clock.now();
      const { unreadableFields: _repaired, ...readable } = current;
      const next: Client = { ...readable, status, statusChangedAt: now, statusChangedBy: actor.name, updatedAt: now, version: current.version + 1 };
      try {
        await this.deps.clients.update(next, { ifVersion: current.version });
      } catch (err) {
        if (!(err instanceof StaleWriteError)) throw err;
        if (options.version === undefined && attempt < 3) continue;
        throw changedSince(current.version);
      }
      const action = status === 'approved' ? 'client.approve' : status === 'disapproved' ? 'client.disapprove' : 'client.pending';
      await this.record(actor, action, key, { from: current.status, to: status, version: current.version, ...(reason ? { reason } : {}) });
      if (status !== 'approved' && current.status === 'approved') {
        for (const hook of this.deps.onCutOff) await hook(key, 'disapproved');
      }
      if (status === 'pending' && current.status !== 'pending') for (const hook of this.deps.onPending) await hook(next);
      return next;
    }
  }

  async remove(key: string, actor: Actor): Promise<void> {
    const current = await this.get(key);
    for (const hook of this.deps.onCutOff) await hook(key, 'removed');
    const removed = await this.deps.clients.remove(key, this.deps.clock.now());
    if (!removed) throw AdminError.notFound('client');
    await this.record(actor, 'client.remove', key, { type: current.type, name: current.name });
  }

  private record(actor: Actor, action: string, key: string, details: Record<string, unknown>): Promise<void> {
    return this.deps.audit.append({ at: this.deps.clock.now(), actor: actor.name, source: actor.source, action, targetType: 'client', target: key, details });
  }
}

function isRsaPublicKey(pem: string): boolean {
  try {
    return createPublicKey({ key: pem, format: 'pem' }).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
