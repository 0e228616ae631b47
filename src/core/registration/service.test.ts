import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../clients/client.js';
import { StaleWriteError, type ThrottleStore } from '../ports.js';
import type { InitialAccessTokenStore, RegistrationAccessTokenStore, RegistryPort } from './ports.js';
import { bearer, type RegistrationCall, RegistrationService, type RegistrationSettings } from './service.js';

const SETTINGS: RegistrationSettings = {
  issuer: 'https://id.example',
  mode: 'open',
  policy: { grantTypes: ['authorization_code', 'refresh_token'], responseTypes: ['code'] },
  rateLimit: 100,
  rateWindowMs: 60_000,
  maxPending: 10,
};

/** An in-memory registry recording the order of its calls. */
function fakeRegistry(): RegistryPort & { clients: Map<string, Client>; calls: string[]; created: unknown[] } {
  const clients = new Map<string, Client>();
  const calls: string[] = [];
  const created: unknown[] = [];
  let n = 0;
  return {
    clients,
    calls,
    created,
    get: async (key) => clients.get(key),
    create: async (input) => {
      calls.push('create');
      created.push(input);
      const i = input as Record<string, unknown>;
      const client: Client = {
        key: `k${++n}`,
        type: i.type as 'oauth2',
        name: String(i.name),
        status: 'pending',
        secretSealed: i.public ? null : 'sealed',
        isPublic: i.public === true,
        requirePkce: i.public === true,
        redirectUris: i.redirect_uris as string[],
        postLogoutRedirectUris: [],
        grantTypes: i.grant_types as string[],
        responseTypes: i.response_types as string[],
        callbackUrl: null,
        rsaPublicKey: null,
        metadata: i.metadata as Record<string, unknown>,
        createdAt: 1_700_000_000_000,
        updatedAt: 1_700_000_000_000,
        statusChangedAt: null,
        statusChangedBy: null,
        lastUsedAt: null,
        version: 1,
        createdVia: 'registration',
        resourceServer: false,
      };
      clients.set(client.key, client);
      return { client, secret: client.isPublic ? null : 'generated-secret' };
    },
    update: async (key, patch, _actor, options) => {
      const p = patch as Record<string, unknown>;
      const c = clients.get(key) as Client;
      if (c.version !== options.version) throw new StaleWriteError('changed');
      const toPending = options.backToPending !== undefined && c.status === 'approved';
      calls.push(toPending ? `update+pending:${options.backToPending}` : 'update');
      const next: Client = {
        ...c,
        name: p.name as string,
        redirectUris: p.redirect_uris as string[],
        grantTypes: p.grant_types as string[],
        metadata: p.metadata as Record<string, unknown>,
        status: toPending ? 'pending' : c.status,
        version: c.version + 1,
      };
      clients.set(key, next);
      return { client: next, secret: null };
    },
    remove: async (key) => {
      calls.push('remove');
      clients.delete(key);
    },
    countPendingRegistrations: async () => [...clients.values()].filter((c) => c.status === 'pending').length,
    openSecret: (c) => (c.isPublic ? null : 'generated-secret'),
  };
}

function fakeTokens(fail = false): RegistrationAccessTokenStore & { byHash: Map<string, string> } {
  const byHash = new Map<string, string>();
  return {
    byHash,
    put: async (key, hash) => {
      if (fail) throw new Error('database down');
      byHash.set(hash, key);
    },
    findClientKey: async (hash) => byHash.get(hash),
    remove: async (key) => {
      for (const [h, k] of byHash) if (k === key) byHash.delete(h);
    },
  };
}

const noInitialTokens: InitialAccessTokenStore = {
  insert: async () => {},
  get: async () => undefined,
  list: async () => [],
  revoke: async () => false,
  check: async () => ({ ok: false, reason: 'unknown' }),
  use: async () => ({ ok: false, reason: 'unknown' }),
};

const noThrottle: ThrottleStore = { hit: async () => 1, count: async () => 0, reset: async () => {} };

function service(registry = fakeRegistry(), tokens = fakeTokens()) {
  let b = 0;
  const svc = new RegistrationService({
    registry,
    accessTokens: tokens,
    initialTokens: noInitialTokens,
    throttle: noThrottle,
    clock: { now: () => 1_700_000_000_000 },
    random: { bytes: (n) => Buffer.alloc(n, ++b) },
    settings: SETTINGS,
  });
  return { svc, registry, tokens };
}

function call(body: unknown, extra: Partial<RegistrationCall> = {}): RegistrationCall {
  return {
    type: 'oauth2',
    authorization: undefined,
    contentType: 'application/json; charset=utf-8',
    body,
    remoteAddress: '192.0.2.7',
    userAgent: 'test-agent',
    ...extra,
  };
}

const BODY = { client_name: 'App', redirect_uris: ['https://a.example/cb'], contacts: ['ops@a.example'] };

describe('RegistrationService', () => {
  it('creates a pending client through the registry with its source, and answers 201 without caching', async () => {
    const { svc, registry, tokens } = service();
    const res = await svc.register(call(BODY));
    assert.equal(res.status, 201);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = res.body as Record<string, unknown>;
    assert.equal(body.client_secret, 'generated-secret');
    assert.equal(body.client_id_issued_at, 1_700_000_000);
    assert.equal(body.registration_client_uri, 'https://id.example/api/oauth2/register/k1');
    assert.match(String(body.registration_access_token), /^lkrat_/);
    assert.equal(tokens.byHash.size, 1);
    assert.ok(![...tokens.byHash.keys()].includes(String(body.registration_access_token)), 'stored by hash only');
    const input = registry.created[0] as { metadata: { registration: Record<string, unknown>; contacts: string[] } };
    assert.equal(input.metadata.registration.source_address, '192.0.2.7');
    assert.equal(input.metadata.registration.user_agent, 'test-agent');
    assert.deepEqual(input.metadata.contacts, ['ops@a.example']);
  });

  it('undoes the registration when its access token cannot be stored', async () => {
    const { svc, registry } = service(fakeRegistry(), fakeTokens(true));
    await assert.rejects(svc.register(call(BODY)), /database down/);
    assert.deepEqual(registry.calls, ['create', 'remove']);
    assert.equal(registry.clients.size, 0);
  });

  it('sends an approved client back to pending in the same write that applies a reviewed change, and writes nothing for an unchanged one', async () => {
    const { svc, registry } = service();
    const reg = (await svc.register(call(BODY))).body as Record<string, unknown>;
    const auth = `Bearer ${reg.registration_access_token}`;
    const key = String(reg.client_id);
    const approve = () => registry.clients.set(key, { ...(registry.clients.get(key) as Client), status: 'approved' });
    approve();
    registry.calls.length = 0;

    const same = await svc.update(call({ ...BODY, client_id: key }, { authorization: auth, clientId: key }));
    assert.equal(same.status, 200);
    assert.deepEqual(registry.calls, [], 'nothing changed, nothing written');

    const logo = await svc.update(call({ ...BODY, client_id: key, logo_uri: 'https://a.example/l.png' }, { authorization: auth, clientId: key }));
    assert.equal(logo.status, 200);
    assert.deepEqual(registry.calls, ['update+pending:registration update changed logo_uri'], 'the logo is shown to the reviewer');

    approve();
    registry.calls.length = 0;
    const version = await svc.update(
      call({ ...BODY, client_id: key, logo_uri: 'https://a.example/l.png', software_version: '2' }, { authorization: auth, clientId: key }),
    );
    assert.equal(version.status, 200);
    assert.deepEqual(registry.calls, ['update'], 'a software version needs no new approval');
    assert.equal((version.body as Record<string, unknown>).status, 'approved');

    registry.calls.length = 0;
    const moved = await svc.update(call({ ...BODY, client_id: key, redirect_uris: ['https://b.example/cb'] }, { authorization: auth, clientId: key }));
    assert.equal(moved.status, 200);
    assert.deepEqual(registry.calls, ['update+pending:registration update changed redirect_uris, logo_uri'], 'the no-review software_version is not named');
    assert.equal((moved.body as Record<string, unknown>).status, 'pending');
    const stored = registry.clients.get(key) as Client;
    assert.equal((stored.metadata.registration as Record<string, unknown>).source_address, '192.0.2.7', 'the original source is kept');
  });

  it('decides an update again when the client changed between its read and its write', async () => {
    const { svc, registry } = service();
    const reg = (await svc.register(call(BODY))).body as Record<string, unknown>;
    const auth = `Bearer ${reg.registration_access_token}`;
    const key = String(reg.client_id);
    const inner = registry.update;
    let raced = false;
    registry.update = async (k, patch, actor, options) => {
      if (!raced) {
        // An administrator approves between the registration's read and its write.
        raced = true;
        const c = registry.clients.get(k) as Client;
        registry.clients.set(k, { ...c, status: 'approved', version: c.version + 1 });
      }
      return inner(k, patch, actor, options);
    };
    const moved = await svc.update(call({ ...BODY, client_id: key, redirect_uris: ['https://b.example/cb'] }, { authorization: auth, clientId: key }));
    assert.equal(moved.status, 200);
    assert.equal((moved.body as Record<string, unknown>).status, 'pending', 'decided on the approved client: back to pending');
    assert.deepEqual(registry.calls.slice(-1), ['update+pending:registration update changed redirect_uris']);
  });

  it('answers every token failure the same way, revealing nothing about the client', async () => {
    const { svc } = service();
    const reg = (await svc.register(call(BODY))).body as Record<string, unknown>;
    const auth = `Bearer ${reg.registration_access_token}`;
    const wrongClient = await svc.read(call(undefined, { authorization: auth, clientId: 'k999' }));
    const wrongToken = await svc.read(call(undefined, { authorization: 'Bearer nope', clientId: String(reg.client_id) }));
    const wrongType = await svc.read(call(undefined, { type: 'oidc', authorization: auth, clientId: String(reg.client_id) }));
    for (const r of [wrongClient, wrongToken, wrongType]) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: 'invalid_token', error_description: 'the registration access token is not valid for this client' });
    }
  });

  it('refuses a body that is not JSON even when it parsed as a form', async () => {
    const { svc } = service();
    const res = await svc.register(call(BODY, { contentType: 'application/x-www-form-urlencoded' }));
    assert.equal(res.status, 400);
    assert.equal((res.body as Record<string, unknown>).error, 'invalid_client_metadata');
  });
});

describe('bearer', () => {
  it('reads RFC 6750 bearer credentials only', () => {
    assert.equal(bearer('Bearer abc.DEF-_~+/='), 'abc.DEF-_~+/=');
    assert.equal(bearer('bearer  abc'), 'abc');
    assert.equal(bearer('Basic abc'), undefined);
    assert.equal(bearer('Bearer a b'), undefined);
    assert.equal(bearer(undefined), undefined);
  });
});
