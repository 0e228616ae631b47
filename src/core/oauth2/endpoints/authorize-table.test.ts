import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuthorizeCheck } from './authorize-checks.js';
import { AUTHORIZATION_CHECKS, type OidcAuthorizeStep, oauth2Checks, oidcChecks } from './authorize-table.js';

function named(name: string): AuthorizeCheck {
  return { name, run() {} };
}

const extensionSteps = AUTHORIZATION_CHECKS.filter((r) => r.oidc === 'extension').map((r) => r.step);
const extension = Object.fromEntries(extensionSteps.map((s) => [s, named(s)])) as Record<OidcAuthorizeStep, AuthorizeCheck>;

describe('authorization checks table', () => {
  it('names every check after its row', () => {
    for (const r of AUTHORIZATION_CHECKS) {
      for (const cell of [r.oauth2, r.oidc]) if (typeof cell !== 'string') assert.equal(cell.name, r.step);
    }
  });

  it('runs the OAuth 2.0 column in table order without the OpenID Connect steps', () => {
    const { clientChecks, requestChecks } = oauth2Checks();
    assert.deepEqual(
      clientChecks.map((c) => c.name),
      ['client_id given', 'client known and approved', 'client type fits the endpoint', 'redirect_uri registered'],
    );
    assert.deepEqual(
      requestChecks.map((c) => c.name),
      [
        'state readable',
        'no repeated parameters',
        'response_type allowed',
        'response_mode allowed',
        'scope resolved',
        'PKCE acceptable',
        'resource indicators allowed',
      ],
    );
  });

  it('puts the OpenID Connect extension checks in their rows and shares the rest', () => {
    const { clientChecks, requestChecks } = oidcChecks(extension);
    assert.equal(clientChecks[3], extension['redirect_uri given']);
    assert.equal(clientChecks.length, 5);
    assert.deepEqual(
      requestChecks.map((c) => c.name),
      [
        'state readable',
        'no repeated parameters',
        'request objects refused',
        'response_type allowed',
        'response_mode allowed',
        'prompt and max_age read',
        'claims and acr_values read',
        'scope resolved',
        'PKCE acceptable',
        'resource indicators allowed',
        'nonce read',
        'id_token_hint read',
        're-authentication marked',
      ],
    );
    assert.equal(requestChecks[4], extension['response_mode allowed']);
    assert.notEqual(requestChecks[4], oauth2Checks().requestChecks[3]);
  });

  it('refuses an OpenID Connect composition that leaves a step out', () => {
    const { 'nonce read': _left, ...partial } = extension;
    assert.throws(() => oidcChecks(partial as Record<OidcAuthorizeStep, AuthorizeCheck>), /no OpenID Connect check for "nonce read"/);
  });
});
