import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client } from '../../clients/client.js';
import { InvalidClient, InvalidRequest } from '../errors.js';
import { authenticateClient } from './index.js';

const sealer = { open: (sealed: string) => sealed.replace(/^sealed:/, '') };
const make = (over: Partial<Client>): Client =>
  ({ key: 'c1', type: 'oauth2', status: 'approved', isPublic: false, secretSealed: 'sealed:s3cret with space', metadata: {}, ...over }) as Client;

function deps(...clients: Client[]) {
  return { clients: { get: async (k: string) => clients.find((c) => c.key === k) }, secrets: sealer };
}
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

describe('client authentication (RFC 6749 §2.3)', () => {
  it('accepts client_secret_basic with form-encoded credentials', async () => {
    const r = await authenticateClient(deps(make({})), { authorization: basic('c1', 's3cret+with+space'), body: {} });
    assert.equal(r.method, 'client_secret_basic');
    assert.equal(r.client.key, 'c1');
  });

  it('accepts client_secret_post and none for public clients', async () => {
    const post = await authenticateClient(deps(make({})), { authorization: undefined, body: { client_id: 'c1', client_secret: 's3cret with space' } });
    assert.equal(post.method, 'client_secret_post');
    const pub = make({ key: 'p1', isPublic: true, secretSealed: null });
    assert.equal((await authenticateClient(deps(pub), { authorization: undefined, body: { client_id: 'p1' } })).method, 'none');
  });

  it('refuses wrong secrets, unknown clients, and status other than approved', async () => {
    await assert.rejects(
      authenticateClient(deps(make({})), { authorization: basic('c1', 'nope'), body: {} }),
      (e: InvalidClient) => e.status === 401 && 'www-authenticate' in e.headers,
    );
    await assert.rejects(authenticateClient(deps(), { authorization: basic('zz', 'x'), body: {} }), InvalidClient);
    await assert.rejects(authenticateClient(deps(make({ status: 'pending' })), { authorization: basic('c1', 's3cret+with+space'), body: {} }), /waiting/);
    await assert.rejects(
      authenticateClient(deps(make({ status: 'disapproved' })), { authorization: basic('c1', 's3cret+with+space'), body: {} }),
      /disapproved/,
    );
    await assert.rejects(authenticateClient(deps(make({ type: 'oauth1' })), { authorization: basic('c1', 's3cret+with+space'), body: {} }), /unknown client/);
  });

  it('checks the secret before revealing the status', async () => {
    await assert.rejects(authenticateClient(deps(make({ status: 'pending' })), { authorization: basic('c1', 'wrong'), body: {} }), /authentication failed/);
  });

  it('refuses two methods at once, a secret from a public client, and none from a confidential one', async () => {
    await assert.rejects(
      authenticateClient(deps(make({})), { authorization: basic('c1', 's3cret+with+space'), body: { client_id: 'c1', client_secret: 'x' } }),
      InvalidRequest,
    );
    await assert.rejects(authenticateClient(deps(make({})), { authorization: basic('c1', 's3cret+with+space'), body: { client_id: 'other' } }), InvalidRequest);
    const pub = make({ key: 'p1', isPublic: true, secretSealed: null });
    await assert.rejects(authenticateClient(deps(pub), { authorization: undefined, body: { client_id: 'p1', client_secret: 'x' } }), /public client/);
    await assert.rejects(authenticateClient(deps(make({})), { authorization: undefined, body: { client_id: 'c1' } }), /confidential/);
    await assert.rejects(authenticateClient(deps(make({})), { authorization: undefined, body: {} }), /required/);
  });

  it('honours a registered token_endpoint_auth_method', async () => {
    const c = make({ metadata: { token_endpoint_auth_method: 'client_secret_basic' } });
    await assert.rejects(
      authenticateClient(deps(c), { authorization: undefined, body: { client_id: 'c1', client_secret: 's3cret with space' } }),
      /client_secret_basic/,
    );
  });
});
