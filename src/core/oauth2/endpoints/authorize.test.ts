import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, aUser, T0 } from '../../testing/builders.js';
import { fakeOAuth2Deps, TEST_ISSUER } from '../../testing/fakes.js';
import { CODE_KIND } from '../deps.js';
import { s256 } from '../pkce.js';
import { type AuthorizeOutcome, type AuthorizeSession, authorize, oauth2AuthorizeOptions } from './authorize.js';

const REDIRECT = 'https://app.example/cb';
const CHALLENGE = s256('dBjftJeZ4CVP-mJ92K27uhbUJU1p1r_wW1gFWFOEjXk');

const web = aClient().key('web').withGrant('authorization_code').withResponseType('code').withRedirect(REDIRECT).build();
const spa = aClient().key('spa').public().withGrant('authorization_code').withResponseType('code', 'token').withRedirect(REDIRECT).build();
const alice = aUser().id('u1').build();
const session: AuthorizeSession = { user: alice, authTime: T0 - 60_000, sid: 'sid-1' };

function setup() {
  return fakeOAuth2Deps({
    clients: [
      web,
      spa,
      aClient().key('two').withGrant('authorization_code').withResponseType('code').withRedirect(REDIRECT, 'https://app.example/other').build(),
      aClient().key('waiting').named('Waiting app').withResponseType('code').withRedirect(REDIRECT).pending().build(),
      aClient().key('gone').named('Gone app').withResponseType('code').withRedirect(REDIRECT).disapproved().build(),
      aClient().key('v1').oauth1().build(),
      aClient().key('rp').oidc().withGrant('authorization_code').withResponseType('code').withRedirect(REDIRECT).build(),
      aClient().key('limited').withGrant('authorization_code').withResponseType('code').withRedirect(REDIRECT).withMetadata({ scope: 'profile' }).build(),
      aClient().key('no-code-grant').withResponseType('code').withRedirect(REDIRECT).build(),
    ],
    users: [alice],
  });
}

type Deps = ReturnType<typeof setup>;

const run = (deps: Deps, params: Record<string, string | string[]>, o: { session?: AuthorizeSession | null; decision?: 'allow' | 'deny' } = {}) =>
  authorize(deps, oauth2AuthorizeOptions(), {
    params,
    session: o.session === undefined ? session : o.session,
    ...(o.decision ? { decision: o.decision } : {}),
  });

const codeRequest = (extra: Record<string, string | string[]> = {}) => ({
  client_id: 'web',
  redirect_uri: REDIRECT,
  response_type: 'code',
  scope: 'profile',
  state: 'st-1',
  ...extra,
});

/** The parameters of a redirect outcome, from its query or its fragment. */
function redirected(outcome: AuthorizeOutcome, where: 'query' | 'fragment' = 'query'): URLSearchParams {
  assert.equal(outcome.kind, 'redirect', JSON.stringify(outcome));
  const url = new URL(outcome.kind === 'redirect' ? outcome.location : '');
  assert.equal(`${url.origin}${url.pathname}`, REDIRECT);
  if (where === 'query') {
    assert.equal(url.hash, '');
    return url.searchParams;
  }
  assert.equal(url.search, '');
  return new URLSearchParams(url.hash.slice(1));
}

/** RFC 6749 §4.1.2.1: an error sent back to the verified redirect URI, with state and iss (RFC 9207). */
function redirectedError(outcome: AuthorizeOutcome, error: string, where: 'query' | 'fragment' = 'query', state: string | null = 'st-1'): string {
  const p = redirected(outcome, where);
  assert.equal(p.get('error'), error, p.toString());
  assert.equal(p.get('state'), state);
  assert.equal(p.get('iss'), TEST_ISSUER);
  assert.equal(p.get('code'), null);
  return p.get('error_description') ?? '';
}

function errorPage(outcome: AuthorizeOutcome, title: string): string {
  assert.equal(outcome.kind, 'error-page', JSON.stringify(outcome));
  assert.equal(outcome.kind === 'error-page' && outcome.title, title);
  return outcome.kind === 'error-page' ? outcome.message : '';
}

describe('OAuth 2.0 authorization endpoint (RFC 6749 §4.1, §4.2)', () => {
  it('sends a user without a session to sign in, with the same parameters', async () => {
    const deps = setup();
    assert.deepEqual(await run(deps, codeRequest(), { session: null }), { kind: 'login', params: codeRequest() });
  });

  it('asks for consent, then issues a code bound to client, redirect URI and user, and remembers the consent', async () => {
    const deps = setup();
    const first = await run(deps, codeRequest());
    assert.equal(first.kind, 'consent');
    if (first.kind !== 'consent') return;
    assert.equal(first.client.key, 'web');
    assert.deepEqual(
      first.scopes.map((s) => s.name),
      ['profile'],
    );
    assert.deepEqual(first.params, codeRequest());
    assert.equal(deps.grants.byId.size, 0, 'nothing is stored before the user answers');

    deps.clock.advance(1_000);
    const p = redirected(await run(deps, codeRequest(), { decision: 'allow' }));
    assert.equal(p.get('state'), 'st-1');
    assert.equal(p.get('iss'), TEST_ISSUER);
    const code = p.get('code') ?? '';
    const stored = await deps.codes.peek(CODE_KIND, sha256Hex(code));
    assert.ok(stored, 'the code is stored by its hash');
    assert.equal(stored.expiresAt, T0 + 1_000 + deps.settings.codeTtl * 1000);
    assert.deepEqual(stored.payload, { grantId: stored.payload.grantId, clientKey: 'web', redirectUri: REDIRECT, redirectUriSent: true, pkce: null });
    const grant = deps.grants.byId.get(String(stored.payload.grantId));
    assert.deepEqual(grant && [grant.clientKey, grant.userId, grant.scopes, grant.grantType, grant.authTime, grant.sid, grant.createdAt], [
      'web',
      'u1',
      ['profile'],
      'authorization_code',
      T0 - 60_000,
      'sid-1',
      T0 + 1_000,
    ]);
    assert.deepEqual(await deps.consents.get('u1', 'web'), ['profile']);

    // Remembered consent covering the scopes: no second question.
    const again = redirected(await run(deps, codeRequest()));
    assert.notEqual(again.get('code'), code);
    // A wider scope asks again.
    assert.equal((await run(deps, codeRequest({ scope: 'profile latchkey:admin' }))).kind, 'consent');
  });

  it('uses the only registered redirect URI when none is sent, and remembers that none was sent', async () => {
    const deps = setup();
    const { redirect_uri: _, ...withoutUri } = codeRequest();
    const p = redirected(await run(deps, withoutUri, { decision: 'allow' }));
    const stored = await deps.codes.peek(CODE_KIND, sha256Hex(p.get('code') ?? ''));
    assert.equal(stored?.payload.redirectUriSent, false);
    assert.equal(stored?.payload.redirectUri, REDIRECT);
  });

  it('binds the PKCE challenge of a public client and returns an implicit token in the fragment', async () => {
    const deps = setup();
    const p = redirected(
      await run(deps, { ...codeRequest({ client_id: 'spa', code_challenge: CHALLENGE, code_challenge_method: 'S256' }) }, { decision: 'allow' }),
    );
    const stored = await deps.codes.peek(CODE_KIND, sha256Hex(p.get('code') ?? ''));
    assert.deepEqual(stored?.payload.pkce, { challenge: CHALLENGE, method: 'S256' });

    const implicit = redirected(await run(deps, codeRequest({ client_id: 'spa', response_type: 'token' }), { decision: 'allow' }), 'fragment');
    assert.equal(implicit.get('token_type'), 'Bearer');
    assert.equal(implicit.get('expires_in'), String(deps.settings.accessTokenTtl));
    assert.equal(implicit.get('scope'), 'profile');
    assert.equal(implicit.get('state'), 'st-1');
    assert.notEqual(implicit.get('access_token') ?? '', '');
    assert.equal(implicit.get('refresh_token'), null, 'never a refresh token from the authorization endpoint (§4.2.2)');
    assert.equal([...deps.grants.byId.values()].find((g) => g.grantType === 'implicit')?.clientKey, 'spa');
  });

  it('redirects access_denied when the user denies, storing nothing', async () => {
    const deps = setup();
    const description = redirectedError(await run(deps, codeRequest(), { decision: 'deny' }), 'access_denied');
    assert.match(description, /denied/);
    assert.equal(deps.grants.byId.size, 0);
    assert.equal(await deps.consents.get('u1', 'web'), undefined);
  });

  describe('errors returned to the verified redirect URI (RFC 6749 §4.1.2.1)', () => {
    it('invalid_request: response_type missing, a parameter repeated, a response mode not supported', async () => {
      const deps = setup();
      const { response_type: _, ...noType } = codeRequest();
      assert.match(redirectedError(await run(deps, noType), 'invalid_request'), /response_type is missing/);
      assert.match(redirectedError(await run(deps, codeRequest({ scope: ['profile', 'profile'] })), 'invalid_request'), /more than once/);
      assert.match(redirectedError(await run(deps, codeRequest({ response_mode: 'form_post' })), 'invalid_request'), /response_mode/);
      assert.match(
        redirectedError(await run(deps, codeRequest({ client_id: 'spa', response_type: 'token', response_mode: 'query' })), 'invalid_request', 'fragment'),
        /never returned in the query/,
      );
    });

    it('invalid_request: a public client without PKCE, or with plain PKCE', async () => {
      const deps = setup();
      assert.match(redirectedError(await run(deps, codeRequest({ client_id: 'spa' })), 'invalid_request'), /must use PKCE/);
      assert.match(
        redirectedError(await run(deps, codeRequest({ client_id: 'spa', code_challenge: CHALLENGE, code_challenge_method: 'plain' })), 'invalid_request'),
        /S256/,
      );
    });

    it('unsupported_response_type and unauthorized_client', async () => {
      const deps = setup();
      redirectedError(await run(deps, codeRequest({ response_type: 'id_token' })), 'unsupported_response_type', 'fragment');
      assert.match(redirectedError(await run(deps, codeRequest({ response_type: 'token' })), 'unauthorized_client', 'fragment'), /response_type .token./);
      assert.match(redirectedError(await run(deps, codeRequest({ client_id: 'no-code-grant' })), 'unauthorized_client'), /authorization_code grant/);
    });

    it('invalid_scope for an unknown scope, or one the client may not ask for', async () => {
      const deps = setup();
      // error_description keeps to RFC 6749 §5.2's characters: the quotes become "?".
      assert.match(redirectedError(await run(deps, codeRequest({ scope: 'root' })), 'invalid_scope'), /scope .root. is unknown/);
      assert.match(redirectedError(await run(deps, codeRequest({ client_id: 'limited', scope: 'latchkey:admin' })), 'invalid_scope'), /may not ask/);
      assert.equal((await run(deps, codeRequest({ client_id: 'limited' }))).kind, 'consent');
    });

    it('without state when none was sent, and before sign-in as after', async () => {
      const deps = setup();
      const { state: _, ...stateless } = codeRequest({ scope: 'root' });
      redirectedError(await run(deps, stateless, { session: null }), 'invalid_scope', 'query', null);
    });
  });

  describe('errors shown to the user, never redirected, while the client or redirect URI is not trusted', () => {
    it('a missing, repeated or unknown client_id', async () => {
      const deps = setup();
      const { client_id: _, ...noClient } = codeRequest();
      errorPage(await run(deps, noClient), 'Missing client');
      errorPage(await run(deps, codeRequest({ client_id: ['web', 'spa'] })), 'Bad request');
      errorPage(await run(deps, codeRequest({ client_id: 'nobody' })), 'Unknown application');
      errorPage(await run(deps, codeRequest({ client_id: 'v1' })), 'Unknown application');
    });

    it('a client not approved, or registered for the other endpoint', async () => {
      const deps = setup();
      assert.match(errorPage(await run(deps, codeRequest({ client_id: 'waiting' })), 'Application not approved yet'), /Waiting app/);
      errorPage(await run(deps, codeRequest({ client_id: 'gone' })), 'Application disapproved');
      assert.match(errorPage(await run(deps, codeRequest({ client_id: 'rp' })), 'Wrong endpoint'), /\/oidc\/authorize/);
    });

    it('a redirect URI not registered, repeated, or omitted when several are registered', async () => {
      const deps = setup();
      errorPage(await run(deps, codeRequest({ redirect_uri: 'https://evil.example/cb' })), 'Redirect URI not registered');
      errorPage(await run(deps, codeRequest({ redirect_uri: `${REDIRECT}/` })), 'Redirect URI not registered');
      errorPage(await run(deps, codeRequest({ redirect_uri: [REDIRECT, REDIRECT] })), 'Bad redirect URI');
      const { redirect_uri: _, ...noUri } = codeRequest({ client_id: 'two' });
      errorPage(await run(deps, noUri), 'Missing redirect URI');
    });

    it('even when the rest of the request is also wrong, and before sign-in', async () => {
      const deps = setup();
      errorPage(
        await run(deps, codeRequest({ redirect_uri: 'https://evil.example/cb', scope: 'root', response_type: 'nope' }), { session: null }),
        'Redirect URI not registered',
      );
    });
  });
});
