import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, anOAuth1Request, T0 } from '../../testing/builders.js';
import { fakeOAuth1Deps, sealedClientSecret, TEST_ISSUER } from '../../testing/fakes.js';
import type { OAuth1Response } from '../problems.js';
import { requestToken } from './request-token.js';

const URL = 'https://as.example/oauth1/request_token';
const CALLBACK = 'https://app.example/cb';

const consumer = (key: string) =>
  aClient()
    .oauth1()
    .key(key)
    .confidential(sealedClientSecret(key, `${key}-secret`));
const app = consumer('app').build();

function setup(...more: ReturnType<typeof consumer>[]) {
  return fakeOAuth1Deps({ clients: [app, ...more.map((c) => c.build())] });
}

const signed = () => anOAuth1Request('POST', URL).consumer('app', 'app-secret').withCallback(CALLBACK);

function form(res: OAuth1Response): URLSearchParams {
  return new URLSearchParams(res.body);
}

/** The problem a response reports (RFC 5849 §3.2 with the Problem Reporting extension), or a failed assertion. */
function problem(res: OAuth1Response, status: 400 | 401, code: string): URLSearchParams {
  assert.equal(res.status, status, res.body);
  const body = form(res);
  assert.equal(body.get('oauth_problem'), code, res.body);
  assert.match(res.headers['www-authenticate'] ?? '', new RegExp(`^OAuth realm="${TEST_ISSUER}", oauth_problem="${code}"`));
  assert.equal(res.headers['cache-control'], 'no-store');
  return body;
}

describe('POST /oauth1/request_token (RFC 5849 §2.1)', () => {
  it('issues temporary credentials, stores them by hash with the secret sealed, and confirms the callback', async () => {
    const deps = setup();
    const res = await requestToken(deps, signed().build());
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(res.headers['cache-control'], 'no-store');
    const body = form(res);
    const token = body.get('oauth_token') ?? '';
    const secret = body.get('oauth_token_secret') ?? '';
    assert.notEqual(token, '');
    assert.notEqual(secret, '');
    assert.equal(body.get('oauth_callback_confirmed'), 'true');
    const stored = deps.temporaries.byHash.get(sha256Hex(token));
    assert.ok(stored, 'stored under the hash of the token');
    assert.equal(stored.clientKey, 'app');
    assert.equal(stored.callback, CALLBACK);
    assert.equal(stored.createdAt, T0);
    assert.equal(stored.expiresAt, T0 + deps.temporaryTtl * 1000);
    assert.deepEqual([stored.userId, stored.verifierHash, stored.authorizedAt, stored.usedAt], [null, null, null, null]);
    assert.notEqual(stored.secretSealed, secret, 'the secret is sealed');
    assert.equal(deps.sealer.open(stored.secretSealed, `oauth1-temporary:${sha256Hex(token)}`), secret);
    assert.deepEqual(deps.touchedClients, ['app']);
  });

  it('accepts oob, HMAC-SHA256, and PLAINTEXT over TLS', async () => {
    const deps = setup();
    assert.equal((await requestToken(deps, signed().withCallback('oob').build())).status, 200);
    assert.equal((await requestToken(deps, signed().signedWith('HMAC-SHA256').nonce('n2').build())).status, 200);
    assert.equal((await requestToken(deps, signed().signedWith('PLAINTEXT').without('oauth_timestamp').without('oauth_nonce').build())).status, 200);
    assert.deepEqual([...deps.temporaries.byHash.values()].map((t) => t.callback).sort(), [CALLBACK, CALLBACK, 'oob']);
  });

  it('accepts the registered callback, with extra query parameters, and refuses any other with 400 parameter_rejected', async () => {
    const deps = setup(consumer('reg').withCallback(CALLBACK), consumer('oob-only').withCallback('oob'));
    const as = (key: string) => anOAuth1Request('POST', URL).consumer(key, `${key}-secret`);
    assert.equal((await requestToken(deps, as('reg').withCallback(CALLBACK).build())).status, 200);
    assert.equal((await requestToken(deps, as('reg').withCallback(`${CALLBACK}?state=1`).nonce('n2').build())).status, 200);
    const other = problem(await requestToken(deps, as('reg').withCallback('https://evil.example/cb').nonce('n3').build()), 400, 'parameter_rejected');
    assert.equal(other.get('oauth_parameters_rejected'), 'oauth_callback');
    assert.match(other.get('oauth_problem_advice') ?? '', /does not match the callback URL registered/);
    const oobOnly = problem(await requestToken(deps, as('oob-only').withCallback(CALLBACK).build()), 400, 'parameter_rejected');
    assert.match(oobOnly.get('oauth_problem_advice') ?? '', /out-of-band/);
    assert.equal((await requestToken(deps, as('oob-only').withCallback('oob').nonce('n2').build())).status, 200);
    const relative = problem(await requestToken(deps, signed().withCallback('/cb').build()), 400, 'parameter_rejected');
    assert.equal(relative.get('oauth_parameters_rejected'), 'oauth_callback');
  });

  it('answers 400 for a missing callback or parameter, a token, another version or an unsupported method', async () => {
    const deps = setup();
    const absent = problem(await requestToken(deps, signed().without('oauth_callback').build()), 400, 'parameter_absent');
    assert.equal(absent.get('oauth_parameters_absent'), 'oauth_callback');
    const noNonce = problem(await requestToken(deps, signed().without('oauth_nonce').build()), 400, 'parameter_absent');
    assert.equal(noNonce.get('oauth_parameters_absent'), 'oauth_nonce');
    const token = problem(await requestToken(deps, signed().withToken('t', 's').build()), 400, 'parameter_rejected');
    assert.equal(token.get('oauth_parameters_rejected'), 'oauth_token');
    const version = problem(await requestToken(deps, signed().param('oauth_version', '2.0').build()), 400, 'version_rejected');
    assert.equal(version.get('oauth_acceptable_versions'), '1.0-1.0');
    problem(await requestToken(deps, signed().signedWith('HMAC-MD5').build()), 400, 'signature_method_rejected');
    problem(await requestToken(deps, signed().signedWith('PLAINTEXT').insecure().build()), 400, 'signature_method_rejected');
    problem(await requestToken(deps, signed().signedWith('RSA-SHA1').build()), 400, 'signature_method_rejected');
    assert.equal(deps.temporaries.byHash.size, 0, 'nothing is stored for a refused request');
    assert.deepEqual(deps.touchedClients, []);
  });

  it('answers 401 for an unknown, pending or disapproved consumer, whatever the signature', async () => {
    const deps = setup(consumer('waiting').pending(), consumer('gone').disapproved());
    problem(await requestToken(deps, anOAuth1Request('POST', URL).consumer('nobody', 'x').withCallback('oob').build()), 401, 'consumer_key_unknown');
    const pending = problem(
      await requestToken(deps, anOAuth1Request('POST', URL).consumer('waiting', 'waiting-secret').withCallback('oob').build()),
      401,
      'consumer_key_rejected',
    );
    assert.match(pending.get('oauth_problem_advice') ?? '', /approval/);
    const gone = problem(
      await requestToken(deps, anOAuth1Request('POST', URL).consumer('gone', 'wrong').withCallback('oob').build()),
      401,
      'consumer_key_rejected',
    );
    assert.match(gone.get('oauth_problem_advice') ?? '', /disapproved/);
    // An OAuth 2.0 client's key is not a consumer key.
    const deps2 = fakeOAuth1Deps({ clients: [aClient().key('o2').confidential(sealedClientSecret('o2', 'o2-secret')).build()] });
    problem(await requestToken(deps2, anOAuth1Request('POST', URL).consumer('o2', 'o2-secret').withCallback('oob').build()), 401, 'consumer_key_unknown');
  });

  it('answers 401 signature_invalid for a wrong signature, secret or URL', async () => {
    const deps = setup();
    problem(await requestToken(deps, signed().forgedSignature('AAAA').build()), 401, 'signature_invalid');
    problem(await requestToken(deps, anOAuth1Request('POST', URL).consumer('app', 'not-the-secret').withCallback(CALLBACK).build()), 401, 'signature_invalid');
    const req = signed().build();
    problem(await requestToken(deps, { ...req, baseUri: 'https://as.example/oauth1/other' }), 401, 'signature_invalid');
    assert.equal(deps.temporaries.byHash.size, 0);
  });

  it('accepts a timestamp within the window and refuses one outside with 401 timestamp_refused and the acceptable range', async () => {
    const deps = setup();
    const window = deps.timestampWindow * 1000;
    assert.equal(
      (
        await requestToken(
          deps,
          signed()
            .at(T0 - window)
            .nonce('early')
            .build(),
        )
      ).status,
      200,
    );
    assert.equal(
      (
        await requestToken(
          deps,
          signed()
            .at(T0 + window)
            .nonce('late')
            .build(),
        )
      ).status,
      200,
    );
    const body = problem(
      await requestToken(
        deps,
        signed()
          .at(T0 - window - 1000)
          .nonce('old')
          .build(),
      ),
      401,
      'timestamp_refused',
    );
    const now = T0 / 1000;
    assert.equal(body.get('oauth_acceptable_timestamps'), `${now - deps.timestampWindow}-${now + deps.timestampWindow}`);
    problem(
      await requestToken(
        deps,
        signed()
          .at(T0 + window + 1000)
          .nonce('future')
          .build(),
      ),
      401,
      'timestamp_refused',
    );
  });

  it('accepts a nonce once (§3.3): a replay is 401 nonce_used and reported', async () => {
    const deps = setup();
    assert.equal((await requestToken(deps, signed().build())).status, 200);
    problem(await requestToken(deps, signed().build()), 401, 'nonce_used');
    assert.deepEqual(
      deps.recorded.map((e) => [e.kind, e.clientKey, e.source]),
      [['nonce_replayed', 'app', '192.0.2.1']],
    );
    assert.equal(deps.temporaries.byHash.size, 1);
    // The same nonce with another timestamp is another request.
    assert.equal(
      (
        await requestToken(
          deps,
          signed()
            .at(T0 + 1000)
            .build(),
        )
      ).status,
      200,
    );
  });

  it('does not spend the nonce of a refused request', async () => {
    const deps = setup();
    problem(await requestToken(deps, signed().withCallback('/relative').build()), 400, 'parameter_rejected');
    assert.equal((await requestToken(deps, signed().build())).status, 200);
  });
});
