// Runs again on PostgreSQL: @backends sqlite postgres
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { DEVICE_CODE_GRANT } from '../../src/core/clients/client.js';
import { alice, CookieJar, discover, makeOidcClient, makeUser, REDIRECT, redirected, responseParams, walk } from '../oidc/helpers.js';
import { startServer, type TestServer } from '../support/server.js';
import { approveDevice, makeClient } from './helpers.js';

const API = 'https://api.example.test/';
const FILES = 'https://files.example.test/v1';

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** The OAuth error code of a rejected openid-client call. */
async function errorOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (err) {
    return (err as { error?: string }).error;
  }
  assert.fail('expected the request to be refused');
}

describe('RFC 8707 resource indicators', () => {
  let t: TestServer;
  let config: client.Configuration;
  let rpKey: string;
  const jar = new CookieJar();

  function authorizationUrl(resources: string[], params: Record<string, string> = {}): URL {
    const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', state: 'st', ...params });
    for (const r of resources) url.searchParams.append('resource', r);
    return url;
  }

  /** The front-channel answer of an authorization request with the given resources. */
  async function front(resources: string[], j = jar): Promise<URL> {
    return redirected(await walk(j, t, authorizationUrl(resources).href, alice));
  }

  /**
   * With a refresh token (OIDC Core §11: offline_access with prompt=consent), answering the consent
   * page with every hidden field, repeated ones included. `jar` is signed in by an earlier test.
   */
  async function consented(resources: string[]): Promise<URL> {
    const res = await jar.fetch(authorizationUrl(resources, { scope: 'openid offline_access', prompt: 'consent' }).href);
    const page = await res.text();
    assert.equal(res.status, 200, page.slice(0, 200));
    const form = new URLSearchParams();
    for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) form.append(m[1] ?? '', (m[2] ?? '').replace(/&amp;/g, '&'));
    form.append('decision', 'allow');
    const action = page.match(/<form method="post" action="([^"]+)"/)?.[1] ?? '';
    const answered = await jar.fetch(new URL(action.replace(/&amp;/g, '&'), t.baseUrl).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    assert.equal(answered.status, 303);
    return new URL(answered.headers.get('location') ?? '');
  }

  before(async () => {
    t = await startServer();
    await makeUser(t, alice.username, alice.password);
    const rp = await makeOidcClient(t, {
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      resources: [API, FILES],
    });
    rpKey = rp.key;
    config = await discover(t, rp);
  });
  after(() => t.close());

  it('§2: the access token of a code flow carries the requested resource as aud; introspection answers it', async () => {
    const back = await front([API]);
    assert.equal(responseParams(back).get('error'), null);
    const tokens = await client.authorizationCodeGrant(config, back, { expectedState: 'st' }, { resource: API });
    assert.equal(payload(tokens.access_token).aud, API);
    const intro = await client.tokenIntrospection(config, tokens.access_token);
    assert.equal(intro.active, true);
    assert.equal(intro.aud, API);
    // A token for another resource is not one for Latchkey's own API (RFC 9068 §4).
    const userinfo = await fetch(config.serverMetadata().userinfo_endpoint ?? '', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 401);
  });

  it('§2.2: without resource at the token endpoint, the token is for every resource granted; a refresh may narrow them', async () => {
    // Repeated resources survive the trip through sign-in …
    const signedIn = await front([API, FILES], new CookieJar());
    const first = await client.authorizationCodeGrant(config, signedIn, { expectedState: 'st' });
    assert.deepEqual(payload(first.access_token).aud, [API, FILES]);
    // … and through the consent page.
    const back = await consented([API, FILES]);
    const tokens = await client.authorizationCodeGrant(config, back, { expectedState: 'st' });
    assert.deepEqual(payload(tokens.access_token).aud, [API, FILES]);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: FILES });
    assert.equal(payload(refreshed.access_token).aud, FILES);
  });

  it('§2.2: a token request for a resource not granted at authorization is invalid_target', async () => {
    const back = await front([API]);
    assert.equal(await errorOf(client.authorizationCodeGrant(config, back, { expectedState: 'st' }, { resource: FILES })), 'invalid_target');
    // The refusal did not use the code up: it still redeems for what was granted.
    assert.equal(payload((await client.authorizationCodeGrant(config, back, { expectedState: 'st' })).access_token).aud, API);
    const granted = await consented([API]);
    const tokens = await client.authorizationCodeGrant(config, granted, { expectedState: 'st' });
    assert.equal(await errorOf(client.refreshTokenGrant(config, tokens.refresh_token ?? '', { resource: FILES })), 'invalid_target');
  });

  it('§2: an unknown, fragment or relative resource at the authorization endpoint is invalid_target at the redirect URI', async () => {
    for (const bad of ['https://unknown.example.test/', `${API}#part`, '/relative/path']) {
      const p = responseParams(await front([bad]));
      assert.equal(p.get('error'), 'invalid_target', bad);
      assert.equal(p.get('state'), 'st');
      assert.equal(p.get('code'), null);
    }
  });

  it('§2: client_credentials: aud is the resource; unknown, fragment or relative resources are invalid_target', async () => {
    const tokens = await client.clientCredentialsGrant(config, { resource: FILES });
    assert.equal(payload(tokens.access_token).aud, FILES);
    for (const bad of ['https://unknown.example.test/', `${FILES}#x`, 'files/v1']) {
      assert.equal(await errorOf(client.clientCredentialsGrant(config, { resource: bad })), 'invalid_target', bad);
    }
  });

  it('§2: the device flow: resources named at the device authorization request are granted, and refreshes narrow them', async () => {
    const device = await makeClient(t, {
      name: 'Kiosk',
      public: true,
      redirect_uris: [],
      response_types: [],
      grant_types: [DEVICE_CODE_GRANT, 'refresh_token'],
      resources: [API, FILES],
    });
    const dc = await client.discovery(new URL(t.baseUrl), device.key, {}, client.None(), { execute: [client.allowInsecureRequests], algorithm: 'oauth2' });
    const ask = (resources: string[]) =>
      client.initiateDeviceAuthorization(dc, new URLSearchParams([['scope', 'profile'], ...resources.map((r) => ['resource', r])]));
    assert.equal(await errorOf(ask(['https://unknown.example.test/'])), 'invalid_target');
    const auth = await ask([API, FILES]);
    const polling = client.pollDeviceAuthorizationGrant(dc, auth);
    await approveDevice(new CookieJar(), t.baseUrl, auth.verification_uri_complete ?? '', alice);
    const tokens = await polling;
    assert.deepEqual(payload(tokens.access_token).aud, [API, FILES]);
    const narrowed = await client.refreshTokenGrant(dc, tokens.refresh_token ?? '', { resource: FILES });
    assert.equal(payload(narrowed.access_token).aud, FILES);
    const again = await client.refreshTokenGrant(dc, narrowed.refresh_token ?? '');
    assert.deepEqual(payload(again.access_token).aud, [API, FILES], 'a refresh without resource is for every resource granted');
    assert.equal(await errorOf(client.refreshTokenGrant(dc, again.refresh_token ?? '', { resource: 'https://unknown.example.test/' })), 'invalid_target');
    // Without resources at the device request, the token request names them, as before.
    const plain = await ask([]);
    const polled = client.pollDeviceAuthorizationGrant(dc, plain, { resource: API });
    await approveDevice(new CookieJar(), t.baseUrl, plain.verification_uri_complete ?? '', alice);
    assert.equal(payload((await polled).access_token).aud, API);
  });

  it('no resource: the token is for Latchkey\u2019s own API as before', async () => {
    const back = await front([]);
    const tokens = await client.authorizationCodeGrant(config, back, { expectedState: 'st' });
    assert.equal(payload(tokens.access_token).aud, t.app.oauth2.deps.accessTokens.audience);
    const userinfo = await fetch(config.serverMetadata().userinfo_endpoint ?? '', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200);
    const cc = await client.clientCredentialsGrant(config);
    assert.equal(payload(cc.access_token).aud, t.app.oauth2.deps.accessTokens.audience);
  });

  it('the admin API shows and checks the resources setting', async () => {
    const url = `${t.baseUrl}/admin/api/clients/${rpKey}`;
    const headers = { authorization: t.adminAuth, 'content-type': 'application/json' };
    const shown = (await (await fetch(url, { headers })).json()) as Record<string, unknown>;
    assert.deepEqual(shown.resources, [API, FILES]);
    const bad = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ resources: ['https://a.example.test/#f'] }) });
    assert.equal(bad.status, 400);
    const relative = await fetch(url, { method: 'PATCH', headers, body: JSON.stringify({ resources: ['/api'] }) });
    assert.equal(relative.status, 400);
  });
});
