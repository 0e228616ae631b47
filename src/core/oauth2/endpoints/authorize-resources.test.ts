import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aClient, aUser, T0 } from '../../testing/builders.js';
import { fakeOAuth2Deps } from '../../testing/fakes.js';
import { GRANT_RESOURCES } from '../resource-indicators.js';
import { type AuthorizeSession, authorize, oauth2AuthorizeOptions } from './authorize.js';

const REDIRECT = 'https://app.example/cb';
const API = 'https://api.example/';
const FILES = 'https://files.example/v1';
const web = aClient()
  .key('web')
  .withGrant('authorization_code')
  .withResponseType('code', 'token')
  .withRedirect(REDIRECT)
  .withMetadata({ resources: [API, FILES] })
  .build();
const alice = aUser().id('u1').build();
const session: AuthorizeSession = { user: alice, authTime: T0 - 60_000, sid: 'sid-1' };

const setup = () => fakeOAuth2Deps({ clients: [web], users: [alice] });
const request = (resource: string | string[], responseType = 'code') => ({
  client_id: 'web',
  redirect_uri: REDIRECT,
  response_type: responseType,
  scope: 'profile',
  state: 'st',
  resource,
});

describe('resource indicators at the authorization endpoint (RFC 8707 §2)', () => {
  it('keeps the requested resources with the grant, so the token request can only narrow them', async () => {
    const deps = setup();
    const outcome = await authorize(deps, oauth2AuthorizeOptions(), { params: request([API, FILES]), session, decision: 'allow' });
    assert.equal(outcome.kind, 'redirect');
    const grants = [...deps.grants.byId.values()];
    assert.equal(grants.length, 1);
    assert.deepEqual(grants[0]?.extra[GRANT_RESOURCES], [API, FILES]);
  });

  it('an implicit access token carries the resource as aud', async () => {
    const deps = setup();
    const outcome = await authorize(deps, oauth2AuthorizeOptions(), { params: request(API, 'token'), session, decision: 'allow' });
    const location = outcome.kind === 'redirect' ? outcome.location : '';
    const token = new URLSearchParams(new URL(location).hash.slice(1)).get('access_token') ?? '';
    assert.equal((await deps.accessTokens.verify(token, 'any')).aud, API);
    // Not a token for Latchkey's own API (RFC 9068 §4).
    await assert.rejects(deps.accessTokens.verify(token), { code: 'invalid_token' });
  });

  it('sends invalid_target to the redirect URI for an unknown, fragment or relative resource, and stores nothing', async () => {
    for (const bad of ['https://other.example/', `${API}#f`, 'api/v1']) {
      const deps = setup();
      const outcome = await authorize(deps, oauth2AuthorizeOptions(), { params: request(bad), session, decision: 'allow' });
      const url = new URL(outcome.kind === 'redirect' ? outcome.location : 'about:blank');
      assert.equal(url.searchParams.get('error'), 'invalid_target', bad);
      assert.equal(url.searchParams.get('state'), 'st');
      assert.equal(deps.grants.byId.size, 0);
    }
  });

  it('carries repeated resources through sign-in and consent', async () => {
    const deps = setup();
    const login = await authorize(deps, oauth2AuthorizeOptions(), { params: request([API, FILES]), session: null });
    assert.equal(login.kind, 'login');
    assert.deepEqual(login.kind === 'login' ? login.repeated : undefined, { resource: [API, FILES] });
    const consent = await authorize(deps, oauth2AuthorizeOptions(), { params: request([API, FILES]), session });
    assert.equal(consent.kind, 'consent');
    assert.deepEqual(consent.kind === 'consent' ? consent.repeated : undefined, { resource: [API, FILES] });
    const single = await authorize(deps, oauth2AuthorizeOptions(), { params: request(API), session: null });
    assert.equal(single.kind === 'login' ? single.params.resource : undefined, API);
    assert.equal(single.kind === 'login' ? single.repeated : 'none', undefined);
  });
});
