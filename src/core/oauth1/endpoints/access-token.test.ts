import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, anOAuth1Request, aUser, T0 } from '../../testing/builders.js';
import { fakeOAuth1Deps, putTemporary, sealedClientSecret, TEST_ISSUER } from '../../testing/fakes.js';
import type { OAuth1Response } from '../problems.js';
import { accessToken } from './access-token.js';
import { decideAuthorization } from './authorize.js';
import { requestToken } from './request-token.js';

const BASE = 'https://as.example/oauth1';
const consumer = (key: string) =>
  aClient()
    .oauth1()
    .key(key)
    .confidential(sealedClientSecret(key, `${key}-secret`))
    .build();
const app = consumer('app');
const other = consumer('other');
const alice = aUser().id('u1').build();

function setup() {
  return fakeOAuth1Deps({ clients: [app, other], users: [alice] });
}

/** Temporary credentials `temp` of `app`, authorized by alice with verifier `the-verifier`. */
async function authorized(deps: ReturnType<typeof setup>) {
  await putTemporary(deps, { token: 'temp', secret: 'temp-secret', userId: 'u1', verifier: 'the-verifier' });
}

const exchange = (o: { verifier?: string; token?: string; secret?: string; consumer?: string; nonce?: string; at?: number } = {}) => {
  const b = anOAuth1Request('POST', `${BASE}/access_token`)
    .consumer(o.consumer ?? 'app', `${o.consumer ?? 'app'}-secret`)
    .withToken(o.token ?? 'temp', o.secret ?? 'temp-secret')
    .nonce(o.nonce ?? 'n-at')
    .at(o.at ?? T0);
  if (o.verifier !== '') b.withVerifier(o.verifier ?? 'the-verifier');
  return b.build();
};

function problem(res: OAuth1Response, status: 400 | 401, code: string): URLSearchParams {
  assert.equal(res.status, status, res.body);
  const body = new URLSearchParams(res.body);
  assert.equal(body.get('oauth_problem'), code, res.body);
  assert.match(res.headers['www-authenticate'] ?? '', new RegExp(`^OAuth realm="${TEST_ISSUER}", oauth_problem="${code}"`));
  return body;
}

describe('POST /oauth1/access_token (RFC 5849 §2.3)', () => {
  it('exchanges authorized temporary credentials and their verifier for token credentials of the user, once', async () => {
    const deps = setup();
    await authorized(deps);
    deps.clock.advance(2_000);
    const res = await accessToken(deps, exchange());
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = new URLSearchParams(res.body);
    const token = body.get('oauth_token') ?? '';
    const secret = body.get('oauth_token_secret') ?? '';
    assert.notEqual(token, '');
    assert.notEqual(secret, '');
    const stored = deps.tokens.byHash.get(sha256Hex(token));
    assert.deepEqual(stored && { clientKey: stored.clientKey, userId: stored.userId, createdAt: stored.createdAt }, {
      clientKey: 'app',
      userId: 'u1',
      createdAt: T0 + 2_000,
    });
    assert.notEqual(stored?.secretSealed, secret);
    assert.equal(deps.temporaries.byHash.get(sha256Hex('temp'))?.usedAt, T0 + 2_000, 'the temporary credentials are used');
    assert.deepEqual(deps.touchedClients, ['app']);
    // §2.3: used once; a new nonce does not help.
    problem(await accessToken(deps, exchange({ nonce: 'n-2' })), 401, 'token_used');
    assert.equal(deps.tokens.byHash.size, 1);
  });

  it('runs the whole three-legged flow through the endpoints', async () => {
    const deps = setup();
    const temp = new URLSearchParams(
      (await requestToken(deps, anOAuth1Request('POST', `${BASE}/request_token`).consumer('app', 'app-secret').withCallback('oob').build())).body,
    );
    const decision = await decideAuthorization(deps, temp.get('oauth_token'), alice, true);
    assert.equal(decision.kind, 'oob');
    const res = await accessToken(
      deps,
      exchange({
        token: temp.get('oauth_token') ?? '',
        secret: temp.get('oauth_token_secret') ?? '',
        verifier: decision.kind === 'oob' ? decision.verifier : '',
      }),
    );
    assert.equal(res.status, 200, res.body);
  });

  it('gives exactly one of two racing exchanges the token credentials', async () => {
    const deps = setup();
    await authorized(deps);
    const answers = await Promise.all([accessToken(deps, exchange({ nonce: 'a' })), accessToken(deps, exchange({ nonce: 'b' }))]);
    assert.deepEqual(answers.map((r) => r.status).sort(), [200, 401]);
    const lost = answers.find((r) => r.status === 401);
    assert.equal(new URLSearchParams(lost?.body).get('oauth_problem'), 'token_used');
    assert.equal(deps.tokens.byHash.size, 1);
  });

  it('answers 401 permission_unknown before the user answered, and parameter_rejected (401) for a wrong verifier', async () => {
    const deps = setup();
    await putTemporary(deps, { token: 'temp', secret: 'temp-secret' });
    const pending = problem(await accessToken(deps, exchange()), 401, 'permission_unknown');
    assert.match(pending.get('oauth_problem_advice') ?? '', /not authorized/);
    const authorizedDeps = setup();
    await authorized(authorizedDeps);
    const wrong = problem(await accessToken(authorizedDeps, exchange({ verifier: 'not-it' })), 401, 'parameter_rejected');
    assert.equal(wrong.get('oauth_parameters_rejected'), 'oauth_verifier');
    assert.equal(authorizedDeps.temporaries.byHash.get(sha256Hex('temp'))?.usedAt, null, 'a wrong verifier does not use them up');
    assert.equal((await accessToken(authorizedDeps, exchange({ nonce: 'n-right' }))).status, 200);
  });

  it('answers 400 parameter_absent without oauth_verifier or oauth_token', async () => {
    const deps = setup();
    await authorized(deps);
    assert.equal(problem(await accessToken(deps, exchange({ verifier: '' })), 400, 'parameter_absent').get('oauth_parameters_absent'), 'oauth_verifier');
    const noToken = anOAuth1Request('POST', `${BASE}/access_token`).consumer('app', 'app-secret').withVerifier('the-verifier').build();
    assert.equal(problem(await accessToken(deps, noToken), 400, 'parameter_absent').get('oauth_parameters_absent'), 'oauth_token');
  });

  it('answers 401 token_rejected for unknown credentials or another consumer’s, token_expired after their lifetime', async () => {
    const deps = setup();
    await authorized(deps);
    problem(await accessToken(deps, exchange({ token: 'nope' })), 401, 'token_rejected');
    problem(await accessToken(deps, exchange({ consumer: 'other' })), 401, 'token_rejected');
    problem(await accessToken(deps, exchange({ secret: 'wrong-secret' })), 401, 'signature_invalid');
    deps.clock.advance(deps.temporaryTtl * 1000);
    problem(await accessToken(deps, exchange({ nonce: 'late', at: deps.clock.now() })), 401, 'token_expired');
  });

  it('answers 401 token_revoked when the user who authorized is disabled', async () => {
    const deps = setup();
    await authorized(deps);
    deps.users.put(aUser().id('u1').disabled().build());
    problem(await accessToken(deps, exchange()), 401, 'token_revoked');
    assert.equal(deps.tokens.byHash.size, 0);
  });
});
