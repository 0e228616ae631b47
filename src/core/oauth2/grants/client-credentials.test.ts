import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../clients/client.js';
import { InvalidScope } from '../errors.js';
import { Params } from '../params.js';
import { ScopeCatalog } from '../scopes.js';
import type { GrantRecord } from '../storage.js';
import { clientCredentialsGrant } from './client-credentials.js';

const client = { key: 'batch', type: 'oauth2', metadata: {}, grantTypes: ['client_credentials'] } as unknown as Client;

describe('client_credentials grant', () => {
  it('creates a user-less grant and asks for no refresh token (RFC 6749 §4.4.3)', async () => {
    const created: GrantRecord[] = [];
    const deps = {
      grants: { create: async (g: GrantRecord) => void created.push(g) } as never,
      scopes: new ScopeCatalog(),
      clock: { now: () => 1_000 },
      random: { bytes: (n: number) => Buffer.alloc(n, 7) },
    };
    const r = await clientCredentialsGrant.handle({ client, params: new Params({ scope: 'profile' }), remoteAddress: '127.0.0.1' }, deps);
    assert.equal(r.user, null);
    assert.equal(r.refreshToken, false);
    assert.deepEqual(r.scopes, ['profile']);
    assert.equal(created.length, 1);
    assert.equal(created[0]?.userId, null);
    assert.equal(created[0]?.grantType, 'client_credentials');
    assert.equal(created[0]?.createdAt, 1_000);
    assert.equal(clientCredentialsGrant.publicClients, false);
  });

  it('refuses unknown scopes before writing anything', async () => {
    let writes = 0;
    const deps = {
      grants: { create: async () => void writes++ } as never,
      scopes: new ScopeCatalog(),
      clock: { now: () => 0 },
      random: { bytes: (n: number) => Buffer.alloc(n) },
    };
    await assert.rejects(clientCredentialsGrant.handle({ client, params: new Params({ scope: 'root' }), remoteAddress: '' }, deps), InvalidScope);
    assert.equal(writes, 0);
  });
});
