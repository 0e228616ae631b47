import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../crypto/constant-time.js';
import { aClient, anOAuth1Request, aUser } from '../../testing/builders.js';
import { fakeOAuth1Deps, putTokenCredential, sealedClientSecret, TEST_ISSUER } from '../../testing/fakes.js';
import { authenticateResource } from './resource.js';
import { requestFromInput, verifyForResourceServer } from './verify.js';

const RESOURCE = 'https://api.example/photos';
const app = aClient().oauth1().key('app').named('Photo app').confidential(sealedClientSecret('app', 'app-secret')).build();
const other = aClient().oauth1().key('other').confidential(sealedClientSecret('other', 'other-secret')).build();
const alice = aUser().id('u1').named('alice', 'Alice').withEmail('alice@example.com').withRoles('user_manager').build();

async function setup() {
  const deps = fakeOAuth1Deps({ clients: [app, other], users: [alice] });
  await putTokenCredential(deps, { token: 'tok', secret: 'tok-secret' });
  return deps;
}

const signed = (o: { token?: string; secret?: string; nonce?: string; consumer?: string } = {}) =>
  anOAuth1Request('GET', RESOURCE)
    .consumer(o.consumer ?? 'app', `${o.consumer ?? 'app'}-secret`)
    .withToken(o.token ?? 'tok', o.secret ?? 'tok-secret')
    .nonce(o.nonce ?? 'n1')
    .withQuery('size=large')
    .build();

describe('OAuth 1.0a protected resources (RFC 5849 §3)', () => {
  it('authenticates a request signed with token credentials as their user and consumer', async () => {
    const deps = await setup();
    const access = await authenticateResource(deps, signed());
    assert.equal(access.user.id, 'u1');
    assert.equal(access.client.key, 'app');
    assert.equal(access.tokenHash, sha256Hex('tok'));
    assert.deepEqual(deps.touchedClients, ['app']);
  });

  it('throws the problem of a refused request: unknown token, another consumer’s, disabled user, replay', async () => {
    const deps = await setup();
    const refused = async (req: ReturnType<typeof signed>, problem: string, status: 400 | 401) =>
      assert.rejects(authenticateResource(deps, req), { name: 'OAuth1Problem', problem, status });
    await refused(signed({ token: 'nope' }), 'token_rejected', 401);
    await refused(signed({ consumer: 'other' }), 'token_rejected', 401);
    await refused(signed({ secret: 'not-it' }), 'signature_invalid', 401);
    await refused(anOAuth1Request('GET', RESOURCE).consumer('app', 'app-secret').build(), 'parameter_absent', 400);
    await authenticateResource(deps, signed({ nonce: 'once' }));
    await refused(signed({ nonce: 'once' }), 'nonce_used', 401);
    deps.users.put({ ...alice, enabled: false });
    await refused(signed({ nonce: 'n-disabled' }), 'token_revoked', 401);
  });
});

describe('the OAuth 1.0a verification endpoint for resource servers', () => {
  it('rebuilds the request a resource server received', () => {
    assert.deepEqual(
      requestFromInput({
        method: 'post',
        url: 'HTTPS://API.example:443/photos?size=large#frag',
        authorization: 'OAuth x="y"',
        body: 'a=1',
        contentType: 'application/x-www-form-urlencoded; charset=utf-8',
      }),
      {
        method: 'POST',
        baseUri: 'https://api.example/photos',
        query: 'size=large',
        authorization: 'OAuth x="y"',
        formBody: 'a=1',
        secureTransport: true,
      },
    );
    const json = requestFromInput({ method: 'PUT', url: 'http://api.example:8080/p', body: '{"a":1}', contentType: 'application/json' });
    assert.equal(json?.formBody, null, 'only a form body is signed (§3.4.1.3.1)');
    assert.equal(json?.baseUri, 'http://api.example:8080/p');
    assert.equal(json?.secureTransport, false);
    assert.equal(requestFromInput({ method: 'GET', url: 'http://127.0.0.1:3000/p' })?.secureTransport, true, 'loopback counts as secure');
    assert.equal(requestFromInput({ method: 'GET', url: 'ftp://api.example/p' }), undefined);
    assert.equal(requestFromInput({ method: 'GET', url: '/relative' }), undefined);
  });

  it('answers valid with the user and the consumer, recording the nonce by default', async () => {
    const deps = await setup();
    const outcome = await verifyForResourceServer(deps, signed(), true);
    assert.deepEqual(outcome, {
      valid: true,
      user: { id: 'u1', username: 'alice', display_name: 'Alice', email: 'alice@example.com', roles: ['user_manager'] },
      consumer: { key: 'app', name: 'Photo app' },
      nonce_recorded: true,
    });
    const replay = await verifyForResourceServer(deps, signed(), true);
    assert.equal(replay.valid, false);
    assert.equal(!replay.valid && replay.oauth_problem, 'nonce_used');
    assert.equal(!replay.valid && replay.status, 401);
  });

  it('leaves the nonce to the resource server when asked, so the same request verifies again', async () => {
    const deps = await setup();
    const first = await verifyForResourceServer(deps, signed(), false);
    assert.equal(first.valid && first.nonce_recorded, false);
    assert.equal((await verifyForResourceServer(deps, signed(), false)).valid, true);
    assert.equal((await verifyForResourceServer(deps, signed(), true)).valid, true, 'the nonce was not spent');
  });

  it('answers a refusal as data: problem, the status to answer with, advice, challenge and details', async () => {
    const deps = await setup();
    const outcome = await verifyForResourceServer(deps, signed({ token: 'nope' }), true);
    assert.deepEqual(outcome, {
      valid: false,
      oauth_problem: 'token_rejected',
      status: 401,
      advice: 'unknown or revoked token',
      www_authenticate: `OAuth realm="${TEST_ISSUER}", oauth_problem="token_rejected", oauth_problem_advice="unknown%20or%20revoked%20token"`,
      details: {},
    });
    const absent = await verifyForResourceServer(deps, anOAuth1Request('GET', RESOURCE).consumer('app', 'app-secret').build(), true);
    assert.equal(!absent.valid && absent.status, 400);
    assert.deepEqual(!absent.valid && absent.details, { oauth_parameters_absent: ['oauth_token'] });
    const late = await verifyForResourceServer(deps, anOAuth1Request('GET', RESOURCE).withToken('tok', 'tok-secret').at(1_000_000).build(), true);
    assert.equal(!late.valid && late.oauth_problem, 'timestamp_refused');
    assert.deepEqual(Object.keys(!late.valid ? late.details : {}), ['oauth_acceptable_timestamps']);
  });
});
