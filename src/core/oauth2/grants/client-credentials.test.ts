import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../clients/client.js';
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
    assert.equal(clientCredentialsGrant.publicClients, false);
  });

  it('refuses unknown scopes', async () => {
    const deps = { scopes: new ScopeCatalog(), clock: { now: () => 0 } };
    await assert.rejects(clientCredentialsGrant.handle({ client, params: new Params({ scope: 'root' }), remoteAddress: '' }, deps), InvalidScope);
  });
});
