import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Account, type Authority, decideUserChange, OPERATOR, type UserChange } from './authorization.js';
import { permissionsOf } from './permissions.js';

const actor = (id: string, roles: string[]): Authority => ({ kind: 'user', userId: id, permissions: permissionsOf(roles) });
const account = (id: string, roles: string[], enabled = true): Account => ({ id, roles, enabled });
const decide = (who: Authority, change: UserChange, otherAdministrators?: number) =>
  decideUserChange({ actor: who, change, ...(otherAdministrators !== undefined ? { otherAdministrators } : {}) });
const refusal = (d: ReturnType<typeof decide>) => (d.allowed ? null : d.refusal);

describe('the user administration rule', () => {
  const manager = actor('m', ['user_manager']);
  const admin = actor('a', ['server_administrator', 'user_manager']);

  it('needs manage_users to read, create and change others', () => {
    const serverOnly = actor('s', ['server_administrator']);
    for (const change of [
      { kind: 'read' },
      { kind: 'create', roles: [] },
      { kind: 'update', target: account('x', []), enabled: false },
      { kind: 'set_password', target: account('x', []) },
    ] satisfies UserChange[]) {
      assert.equal(refusal(decide(serverOnly, change)), 'needs_manage_users', change.kind);
      assert.equal(refusal(decide(manager, change)), null, change.kind);
    }
  });

  it('grants only what the actor holds, and names what is missing', () => {
    const d = decide(manager, { kind: 'create', roles: ['server_administrator'] });
    assert.deepEqual(d, { allowed: false, refusal: 'grants_more', message: 'you cannot grant permissions you do not hold: configure_server' });
    assert.equal(
      refusal(decide(manager, { kind: 'update', target: account('m', ['user_manager']), roles: ['user_manager', 'server_administrator'] })),
      'grants_more',
    );
    assert.equal(refusal(decide(admin, { kind: 'create', roles: ['server_administrator', 'user_manager'] })), null);
  });

  it('leaves alone a user holding more than the actor, in every way', () => {
    const boss = account('b', ['server_administrator']);
    for (const change of [
      { kind: 'update', target: boss, enabled: false },
      { kind: 'update', target: boss, roles: [] },
      { kind: 'update', target: boss },
      { kind: 'set_password', target: boss },
    ] satisfies UserChange[]) {
      assert.equal(refusal(decide(manager, change, 5)), 'target_holds_more');
    }
  });

  it('lets anyone edit their own profile and password, and nothing more of their own', () => {
    const plain = actor('p', []);
    assert.equal(refusal(decide(plain, { kind: 'update', target: account('p', []) })), null);
    assert.equal(refusal(decide(plain, { kind: 'set_password', target: account('p', []) })), null);
    assert.equal(refusal(decide(plain, { kind: 'update', target: account('p', []), enabled: true })), 'needs_manage_users');
    assert.equal(refusal(decide(plain, { kind: 'update', target: account('p', []), roles: [] })), 'needs_manage_users');
    assert.equal(refusal(decide(plain, { kind: 'set_password', target: account('q', []) })), 'needs_manage_users');
  });

  it('takes the permissions of the request: a token narrowed to none manages nobody', () => {
    const narrowed: Authority = { kind: 'user', userId: 'a', permissions: new Set() };
    assert.equal(refusal(decide(narrowed, { kind: 'update', target: account('x', []), enabled: false })), 'needs_manage_users');
  });

  it('keeps the last enabled holder of configure_server, counting only enabled others', () => {
    const last = account('a', ['server_administrator', 'user_manager']);
    for (const change of [
      { kind: 'update', target: last, enabled: false },
      { kind: 'update', target: last, roles: ['user_manager'] },
      { kind: 'update', target: last, roles: [], enabled: false },
    ] satisfies UserChange[]) {
      assert.equal(refusal(decide(admin, change, 0)), 'last_administrator');
      assert.equal(refusal(decide(admin, change)), 'last_administrator', 'an unknown count is none');
      assert.deepEqual(decide(admin, change, 1), { allowed: true, keepAdministrator: true }, 'with another one, the write must keep it');
    }
    // Changes that leave an administrator in place need no guard.
    assert.deepEqual(decide(admin, { kind: 'update', target: last, enabled: true, roles: ['server_administrator'] }, 0), {
      allowed: true,
      keepAdministrator: false,
    });
    assert.deepEqual(decide(admin, { kind: 'update', target: account('d', ['server_administrator'], false), roles: [] }, 0), {
      allowed: true,
      keepAdministrator: false,
    });
  });

  it('does not bind the operator', () => {
    const last = account('a', ['server_administrator']);
    assert.deepEqual(decide(OPERATOR, { kind: 'update', target: last, enabled: false }, 0), { allowed: true, keepAdministrator: false });
    assert.deepEqual(decide(OPERATOR, { kind: 'create', roles: ['server_administrator'] }), { allowed: true, keepAdministrator: false });
  });
});
