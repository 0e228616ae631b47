import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Account, type Authority, decideRoleGrant, decideUserChange, OPERATOR, type UserChange } from './authorization.js';
import { permissionsOf } from './permissions.js';

const actor = (id: string, roles: string[]): Authority => ({ kind: 'user', userId: id, permissions: permissionsOf(roles) });
const account = (id: string, roles: string[], enabled = true): Account => ({ id, roles, enabled });
const decide = (who: Authority, change: UserChange, otherAdministrators?: number) =>
  decideUserChange({ actor: who, change, ...(otherAdministrators !== undefined ? { otherAdministrators } : {}) });
const refusal = (d: ReturnType<typeof decide>) => (d.allowed ? null : d.refusal);

describe('the user administration rule', () => {
  const manager = actor('m', ['user_manager']);
  const security = actor('s', ['security_manager']);
  const hr = actor('h', ['user_manager', 'security_manager']);
  const admin = actor('a', ['server_administrator', 'user_manager', 'security_manager']);

  it('needs manage_users to create and change others, and manage_users or manage_roles to read', () => {
    const serverOnly = actor('s', ['server_administrator']);
    for (const change of [
      { kind: 'read' },
      { kind: 'create', roles: [] },
      { kind: 'update', target: account('x', []), enabled: false },
      { kind: 'update', target: account('x', []), profile: true },
      { kind: 'set_password', target: account('x', []) },
    ] satisfies UserChange[]) {
      assert.equal(refusal(decide(serverOnly, change)), 'needs_manage_users', change.kind);
      assert.equal(refusal(decide(manager, change)), null, change.kind);
      assert.equal(refusal(decide(security, change)), change.kind === 'read' ? null : 'needs_manage_users', change.kind);
    }
    assert.deepEqual(decide(serverOnly, { kind: 'read' }), {
      allowed: false,
      refusal: 'needs_manage_users',
      message: 'this needs the manage_users or the manage_roles permission',
    });
  });

  it('needs manage_roles to change roles or create a user with roles; a change of both needs both', () => {
    const plain = account('x', []);
    assert.deepEqual(decide(manager, { kind: 'update', target: plain, roles: ['user_manager'] }), {
      allowed: false,
      refusal: 'needs_manage_roles',
      message: 'this needs the manage_roles permission',
    });
    assert.equal(refusal(decide(manager, { kind: 'update', target: account('x', ['user_manager']), roles: [] })), 'needs_manage_roles', 'removing too');
    assert.equal(refusal(decide(manager, { kind: 'create', roles: ['user_manager'] })), 'needs_manage_roles');
    assert.equal(refusal(decide(security, { kind: 'update', target: plain, roles: ['security_manager'] })), null);
    assert.equal(refusal(decide(security, { kind: 'update', target: plain, roles: ['security_manager'], enabled: false })), 'needs_manage_users');
    assert.equal(refusal(decide(security, { kind: 'update', target: plain, roles: ['security_manager'], profile: true })), 'needs_manage_users');
    assert.equal(refusal(decide(manager, { kind: 'update', target: plain, roles: ['user_manager'], enabled: false })), 'needs_manage_roles');
    assert.equal(refusal(decide(hr, { kind: 'update', target: plain, roles: ['user_manager'], enabled: false, profile: true })), null);
    assert.equal(refusal(decide(hr, { kind: 'create', roles: ['user_manager', 'security_manager'] })), null);
    assert.equal(refusal(decide(security, { kind: 'create', roles: ['security_manager'] })), 'needs_manage_users', 'creating needs manage_users');
  });

  it('takes roles equal to the stored ones, in any order, as no change of roles', () => {
    const target = account('x', ['user_manager', 'security_manager']);
    assert.equal(refusal(decide(hr, { kind: 'update', target, roles: ['security_manager', 'user_manager'], enabled: false })), null);
    const h = account('y', ['user_manager', 'security_manager']);
    assert.equal(refusal(decide(hr, { kind: 'update', target: h, roles: ['security_manager', 'user_manager', 'user_manager'] })), null);
    assert.equal(refusal(decide(manager, { kind: 'update', target: account('z', ['user_manager']), roles: ['user_manager'], enabled: true })), null);
    assert.equal(refusal(decide(manager, { kind: 'update', target: account('z', ['user_manager']), roles: ['user_manager', 'user_manager'] })), null);
    assert.equal(refusal(decide(manager, { kind: 'update', target: account('z', ['user_manager']), roles: ['server_administrator'] })), 'needs_manage_roles');
  });

  it('grants only what the actor holds, manage_roles included, and names what is missing', () => {
    const d = decide(hr, { kind: 'create', roles: ['server_administrator'] });
    assert.deepEqual(d, { allowed: false, refusal: 'grants_more', message: 'you cannot grant permissions you do not hold: configure_server' });
    assert.equal(
      refusal(
        decide(hr, {
          kind: 'update',
          target: account('h', ['user_manager', 'security_manager']),
          roles: ['user_manager', 'security_manager', 'server_administrator'],
        }),
      ),
      'grants_more',
    );
    assert.deepEqual(decide(security, { kind: 'update', target: account('x', []), roles: ['user_manager'] }), {
      allowed: false,
      refusal: 'grants_more',
      message: 'you cannot grant permissions you do not hold: manage_users',
    });
    const narrowed: Authority = { kind: 'user', userId: 'n', permissions: new Set(['manage_users', 'manage_roles']) };
    assert.equal(refusal(decide(narrowed, { kind: 'update', target: account('x', []), roles: ['security_manager'] })), null);
    assert.equal(refusal(decide(admin, { kind: 'create', roles: ['server_administrator', 'user_manager', 'security_manager'] })), null);
  });

  it('leaves alone a user holding more than the actor, in every way', () => {
    const boss = account('b', ['server_administrator']);
    for (const change of [
      { kind: 'update', target: boss, enabled: false },
      { kind: 'update', target: boss, roles: [] },
      { kind: 'update', target: boss, roles: ['server_administrator', 'user_manager'] },
      { kind: 'update', target: boss },
      { kind: 'update', target: boss, profile: true },
      { kind: 'set_password', target: boss },
    ] satisfies UserChange[]) {
      assert.equal(refusal(decide(hr, change, 5)), 'target_holds_more');
    }
    // A Security Manager alone holds less than a User Manager.
    const peer = account('u', ['user_manager']);
    assert.equal(refusal(decide(security, { kind: 'update', target: peer, roles: [] }, 5)), 'target_holds_more');
    assert.equal(refusal(decide(security, { kind: 'update', target: peer, roles: ['user_manager', 'security_manager'] }, 5)), 'target_holds_more');
    assert.equal(refusal(decide(manager, { kind: 'update', target: account('s', ['security_manager']), enabled: false }, 5)), 'target_holds_more');
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
    const last = account('a', ['server_administrator', 'user_manager', 'security_manager']);
    for (const change of [
      { kind: 'update', target: last, enabled: false },
      { kind: 'update', target: last, roles: ['user_manager', 'security_manager'] },
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
    assert.deepEqual(decide(OPERATOR, { kind: 'update', target: account('x', []), roles: ['security_manager'] }), { allowed: true, keepAdministrator: false });
  });
});

describe('assigning roles (to a user or a group)', () => {
  it('needs manage_roles, whatever else the actor holds', () => {
    for (const roles of [[], ['user_manager'], ['server_administrator']]) {
      assert.deepEqual(decideRoleGrant(actor('m', ['server_administrator', 'user_manager']), roles), {
        allowed: false,
        refusal: 'needs_manage_roles',
        message: 'this needs the manage_roles permission',
      });
    }
    assert.equal(decideRoleGrant({ kind: 'user', userId: 'n', permissions: new Set() }, []).allowed, false);
  });

  it('grants only permissions the actor holds, and names what is missing', () => {
    assert.deepEqual(decideRoleGrant(actor('s', ['security_manager']), ['security_manager']), { allowed: true });
    assert.deepEqual(decideRoleGrant(actor('s', ['security_manager']), []), { allowed: true });
    assert.deepEqual(decideRoleGrant(actor('s', ['security_manager']), ['security_manager', 'user_manager', 'server_administrator']), {
      allowed: false,
      refusal: 'grants_more',
      message: 'you cannot grant permissions you do not hold: configure_server, manage_users',
    });
    assert.deepEqual(decideRoleGrant(actor('h', ['user_manager', 'security_manager']), ['user_manager']), { allowed: true });
    assert.deepEqual(decideRoleGrant(actor('a', ['server_administrator', 'user_manager', 'security_manager']), ['server_administrator']), { allowed: true });
  });

  it('does not bind the operator', () => {
    assert.deepEqual(decideRoleGrant(OPERATOR, ['server_administrator', 'security_manager']), { allowed: true });
  });
});
