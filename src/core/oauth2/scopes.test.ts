import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidScope } from './errors.js';
import { parseScope } from './params.js';
import { narrowScopes, ScopeCatalog } from './scopes.js';

const oauth2 = { type: 'oauth2' as const, metadata: {} };

describe('scopes', () => {
  it('defaults to profile and accepts the documented API scopes', () => {
    const c = new ScopeCatalog();
    assert.deepEqual(c.resolve([], oauth2), ['profile']);
    assert.deepEqual(c.resolve(['latchkey:admin', 'profile'], oauth2), ['latchkey:admin', 'profile']);
    assert.throws(() => c.resolve(['email'], oauth2), InvalidScope);
  });

  it('lets a later layer add scopes for one client type, with a clear error for the others', () => {
    const c = new ScopeCatalog();
    c.add({ name: 'openid', description: 'Sign you in', clientTypes: ['oidc'] });
    assert.deepEqual(c.resolve(['openid'], { type: 'oidc', metadata: {} }), ['openid']);
    assert.throws(() => c.resolve(['openid'], oauth2), /for oidc clients; this client is of type oauth2/);
  });

  it('honours a per-client scope limit from its metadata', () => {
    const c = new ScopeCatalog();
    const limited = { type: 'oauth2' as const, metadata: { scope: 'profile' } };
    assert.throws(() => c.resolve(['latchkey:admin'], limited), /may not ask/);
    assert.deepEqual(c.resolve([], { type: 'oauth2', metadata: { scope: 'latchkey:admin' } }), []);
  });

  it('parses RFC 6749 §3.3 scope strings and refuses forbidden characters', () => {
    assert.deepEqual(parseScope('  profile   profile latchkey:admin '), ['profile', 'latchkey:admin']);
    assert.deepEqual(parseScope(undefined), []);
    assert.throws(() => parseScope('pro"file'), InvalidScope);
    assert.throws(() => parseScope('é'), InvalidScope);
  });

  it('narrows on refresh and never widens (RFC 6749 §6)', () => {
    assert.deepEqual(narrowScopes([], ['a', 'b']), ['a', 'b']);
    assert.deepEqual(narrowScopes(['a'], ['a', 'b']), ['a']);
    assert.throws(() => narrowScopes(['c'], ['a', 'b']), InvalidScope);
  });
});
