import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../clients/client.js';
import { aClient } from '../../testing/builders.js';
import { fakeOAuth2Deps, sealedClientSecret } from '../../testing/fakes.js';
import type { EndpointRequest } from '../endpoints/request.js';
import { tokenEndpoint } from '../endpoints/token.js';
import { InvalidScope } from '../errors.js';
import { Params } from '../params.js';
import { ScopeCatalog } from '../scopes.js';
import { clientCredentialsGrant } from './client-credentials.js';

const client = { key: 'batch', type: 'oauth2', metadata: {}, grantTypes: ['client_credentials'], statusChangedAt: 500 } as unknown as Client;

describe('client_credentials grant', () => {
  it('stores nothing, names the client as its grant and asks for no refresh token (RFC 6749 §4.4.3)', async () => {
    const deps = { scopes: new ScopeCatalog(), clock: { now: () => 1_000 } };
    const r = await clientCredentialsGrant.handle({ client, params: new Params({ scope: 'profile' }), remoteAddress: '127.0.0.1' }, deps);
    assert.equal(r.user, null);
    assert.equal(r.refreshToken, false);
    assert.deepEqual(r.scopes, ['profile']);
    assert.equal(r.grant.id, 'client:batch:500');
    assert.equal(r.grant.userId, null);
    assert.equal(r.grant.grantType, 'client_credentials');
    assert.equal(r.grant.createdAt, 1_000);
  });

  it('names another grant once the client’s status changed, so tokens of its earlier approval stop counting', async () => {
    const deps = { scopes: new ScopeCatalog(), clock: { now: () => 1_000 } };
    const before = await clientCredentialsGrant.handle({ client, params: new Params({}), remoteAddress: '' }, deps);
    const reapproved = { ...client, statusChangedAt: 900 };
    const after = await clientCredentialsGrant.handle({ client: reapproved, params: new Params({}), remoteAddress: '' }, deps);
    assert.notEqual(after.grant.id, before.grant.id);
  });

  it('refuses unknown scopes', async () => {
    const deps = { scopes: new ScopeCatalog(), clock: { now: () => 0 } };
    await assert.rejects(clientCredentialsGrant.handle({ client, params: new Params({ scope: 'root' }), remoteAddress: '' }, deps), InvalidScope);
  });
});

describe('client_credentials at the token endpoint (RFC 6749 §4.4.2)', () => {
  const confidential = aClient()
    .key('batch')
    .confidential(sealedClientSecret('batch', 's3cret'))
    .withGrant('client_credentials')
    .withMetadata({ resources: ['https://api.example/'] })
    .build();
  const spa = aClient().key('spa').public().withGrant('client_credentials').build();
  const deps = fakeOAuth2Deps({ clients: [confidential, spa] });
  const endpoint = tokenEndpoint(deps, {
    family: 'oauth2',
    handlers: { client_credentials: clientCredentialsGrant },
    extensions: [],
  });
  const post = (body: Record<string, string>, headers: Record<string, string> = {}): EndpointRequest => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    query: {},
    body,
    remoteAddress: '192.0.2.1',
  });

  it('issues an access token to a confidential client, without a refresh token', async () => {
    const basic = `Basic ${Buffer.from('batch:s3cret').toString('base64')}`;
    const r = await endpoint(post({ grant_type: 'client_credentials', scope: 'profile' }, { authorization: basic }));
    assert.equal(r.status, 200);
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.scope, 'profile');
    assert.equal(typeof r.body.access_token, 'string');
    assert.equal('refresh_token' in r.body, false);
  });

  it('RFC 8707 §2: the access token is for the requested resource; an unregistered one is invalid_target', async () => {
    const basic = `Basic ${Buffer.from('batch:s3cret').toString('base64')}`;
    const r = await endpoint(post({ grant_type: 'client_credentials', resource: 'https://api.example/' }, { authorization: basic }));
    assert.equal(r.status, 200);
    assert.equal((await deps.accessTokens.verify(String(r.body.access_token), 'any')).aud, 'https://api.example/');
    const plain = await endpoint(post({ grant_type: 'client_credentials' }, { authorization: basic }));
    assert.equal((await deps.accessTokens.verify(String(plain.body.access_token))).aud, deps.accessTokens.audience);
    const bad = await endpoint(post({ grant_type: 'client_credentials', resource: 'https://other.example/' }, { authorization: basic }));
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_target');
  });

  it('refuses a public client with unauthorized_client, even one registered for the grant', async () => {
    const r = await endpoint(post({ grant_type: 'client_credentials', client_id: 'spa' }));
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'unauthorized_client');
    assert.match(String(r.body.error_description), /public client cannot use the client_credentials grant/);
  });
});
