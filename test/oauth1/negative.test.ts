import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type OAuth from 'oauth-1.0a';
import { backendNames } from '../support/backends.js';
import { ManualClock, startServer, type TestServer } from '../support/server.js';
import { ACTOR, authHeader, authorizeAsUser, CALLBACK, createConsumer, npmClient, parseForm, problemOf, signedGet, threeLegged } from './helpers.js';

type Reply = { status: number; body: string; headers: Headers };

async function call(url: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.text(), headers: res.headers };
}

/** Asserts an OAuth 1.0a problem: status, oauth_problem in the body (form) or JSON, and in WWW-Authenticate with the realm. */
function assertProblem(r: Reply, status: number, problem: string, realm: string): void {
  assert.equal(r.status, status, r.body);
  assert.equal(problemOf(r), problem, r.headers.get('www-authenticate') ?? '');
  assert.ok((r.headers.get('www-authenticate') ?? '').startsWith(`OAuth realm="${realm}"`), r.headers.get('www-authenticate') ?? '');
  const type = r.headers.get('content-type') ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) assert.equal(parseForm(r.body).oauth_problem, problem);
  else assert.equal((JSON.parse(r.body) as { error: string }).error, problem);
}

for (const backend of backendNames()) {
  describe(`OAuth 1.0a negative cases (${backend})`, () => {
    let t: TestServer;
    const clock = new ManualClock(Date.now());
    const clocked = (oauth: OAuth): OAuth => {
      oauth.getTimeStamp = () => Math.floor(clock.now() / 1000);
      return oauth;
    };
    let realm = '';
    let rtUrl = '';
    let atUrl = '';
    let meUrl = '';
    before(async () => {
      t = await startServer({ backend, clock });
      realm = t.app.config.issuer;
      rtUrl = `${t.baseUrl}/oauth1/request_token`;
      atUrl = `${t.baseUrl}/oauth1/access_token`;
      meUrl = `${t.baseUrl}/api/me`;
    });
    after(async () => t.close());

    async function temporary(consumer: { key: string; secret: string }, callback = CALLBACK) {
      const oauth = clocked(npmClient(consumer.key, consumer.secret));
      const r = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: callback }) },
      });
      assert.equal(r.status, 200, r.body);
      const f = parseForm(r.body);
      assert.equal(f.oauth_callback_confirmed, 'true');
      return { oauth, temp: { key: f.oauth_token ?? '', secret: f.oauth_token_secret ?? '' } };
    }

    async function tokenFor(consumer: { key: string; secret: string }) {
      return threeLegged(t.baseUrl, consumer, { timestamp: () => Math.floor(clock.now() / 1000) });
    }

    it('a replayed request is refused: nonce_used', async () => {
      const consumer = await createConsumer(t.app);
      const { oauth, token } = await tokenFor(consumer);
      const header = authHeader(oauth, { url: meUrl, method: 'GET' }, token);
      assert.equal((await call(meUrl, { headers: { authorization: header } })).status, 200);
      assertProblem(await call(meUrl, { headers: { authorization: header } }), 401, 'nonce_used', realm);
    });

    it('a stale or future timestamp is refused with the acceptable range', async () => {
      const consumer = await createConsumer(t.app);
      const oauth = npmClient(consumer.key, consumer.secret);
      const now = Math.floor(clock.now() / 1000);
      for (const ts of [now - 301, now + 301]) {
        oauth.getTimeStamp = () => ts;
        const r = await call(rtUrl, {
          method: 'POST',
          headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
        });
        assertProblem(r, 401, 'timestamp_refused', realm);
        assert.equal(parseForm(r.body).oauth_acceptable_timestamps, `${now - 300}-${now + 300}`);
      }
      oauth.getTimeStamp = () => now - 299;
      const ok = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
      });
      assert.equal(ok.status, 200, ok.body);
    });

    it('a tampered query or form-body parameter breaks the signature', async () => {
      const consumer = await createConsumer(t.app);
      const { oauth, token } = await tokenFor(consumer);
      const header = authHeader(oauth, { url: `${meUrl}?x=1`, method: 'GET' }, token);
      assertProblem(await call(`${meUrl}?x=2`, { headers: { authorization: header } }), 401, 'signature_invalid', realm);
      // Form bodies are signed (§3.4.1.3.1): the signed body passes, a changed one does not.
      const o2 = clocked(npmClient(consumer.key, consumer.secret));
      const signed = (note: string) => authHeader(o2, { url: rtUrl, method: 'POST', data: { note } }, undefined, { oauth_callback: 'oob' });
      const form = { 'content-type': 'application/x-www-form-urlencoded' };
      assert.equal((await call(rtUrl, { method: 'POST', headers: { ...form, authorization: signed('a b') }, body: 'note=a+b' })).status, 200);
      assertProblem(
        await call(rtUrl, { method: 'POST', headers: { ...form, authorization: signed('a b') }, body: 'note=a+c' }),
        401,
        'signature_invalid',
        realm,
      );
      // A JSON body is not signed, so it cannot be part of the base string.
      const r = await call(rtUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: signed('a b') }, body: '{"note":"a b"}' });
      assertProblem(r, 401, 'signature_invalid', realm);
    });

    it('the wrong token secret or consumer secret: signature_invalid', async () => {
      const consumer = await createConsumer(t.app);
      const { oauth, token } = await tokenFor(consumer);
      assertProblem(await signedGet(oauth, meUrl, { key: token.key, secret: 'not-the-secret' }), 401, 'signature_invalid', realm);
      const wrong = clocked(npmClient(consumer.key, 'wrong consumer secret'));
      assertProblem(await signedGet(wrong, meUrl, token), 401, 'signature_invalid', realm);
      assertProblem(await signedGet(oauth, meUrl, { key: 'no-such-token', secret: token.secret }), 401, 'token_rejected', realm);
    });

    it('pending, disapproved and unknown consumers', async () => {
      for (const status of ['pending', 'disapproved'] as const) {
        const consumer = await createConsumer(t.app, { status });
        const oauth = clocked(npmClient(consumer.key, consumer.secret));
        const r = await call(rtUrl, {
          method: 'POST',
          headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
        });
        assertProblem(r, 401, 'consumer_key_rejected', realm);
      }
      const unknown = clocked(npmClient('no-such-consumer', 'whatever secret'));
      const r = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(unknown, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
      });
      assertProblem(r, 401, 'consumer_key_unknown', realm);
      // An OAuth 2.0 client's key is no consumer key.
      const { client } = await t.app.clientAdmin.create({ type: 'oauth2', name: 'o2', redirect_uris: ['https://rp.example/cb'] }, ACTOR);
      const o2 = clocked(npmClient(client.key, 'x'.repeat(20)));
      const r2 = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(o2, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
      });
      assertProblem(r2, 401, 'consumer_key_unknown', realm);
    });

    it('disapproving a consumer cuts off its token and temporary credentials at once; approving again does not revive them', async () => {
      const consumer = await createConsumer(t.app);
      const { oauth, token } = await tokenFor(consumer);
      const pending = await temporary(consumer);
      assert.equal((await signedGet(oauth, meUrl, token)).status, 200);
      await t.app.clientAdmin.setStatus(consumer.key, 'disapproved', ACTOR);
      assertProblem(await signedGet(oauth, meUrl, token), 401, 'consumer_key_rejected', realm);
      const page = await authorizeAsUser(t.baseUrl, `/oauth1/authorize?oauth_token=${pending.temp.key}`);
      assert.equal(page.status, 400);
      await t.app.clientAdmin.setStatus(consumer.key, 'approved', ACTOR);
      assertProblem(await signedGet(oauth, meUrl, token), 401, 'token_rejected', realm);
      // Removal: the key is unknown from then on.
      await t.app.clientAdmin.remove(consumer.key, ACTOR);
      assertProblem(await signedGet(oauth, meUrl, token), 401, 'consumer_key_unknown', realm);
    });

    it("disabling the user cuts off the user's tokens at once", async () => {
      const user = await t.app.userAdmin.create({ username: `u${Date.now()}`, display_name: 'U', password: 'user password 123', roles: [] }, ACTOR);
      const consumer = await createConsumer(t.app);
      const { oauth, token } = await threeLegged(t.baseUrl, consumer, {
        username: user.username,
        password: 'user password 123',
        timestamp: () => Math.floor(clock.now() / 1000),
      });
      assert.equal((await signedGet(oauth, meUrl, token)).status, 200);
      await t.app.userAdmin.setEnabled(user, false, ACTOR);
      const r = await signedGet(oauth, meUrl, token);
      assert.equal(r.status, 401);
      assert.ok(['token_rejected', 'token_revoked'].includes(problemOf(r) ?? ''));
    });

    it('a verifier works once (token_used); an unauthorized request is permission_unknown; a wrong verifier is refused', async () => {
      const consumer = await createConsumer(t.app);
      const { oauth, temp } = await temporary(consumer);
      const exchange = (verifier: string) =>
        call(atUrl, { method: 'POST', headers: { authorization: authHeader(oauth, { url: atUrl, method: 'POST' }, temp, { oauth_verifier: verifier }) } });
      assertProblem(await exchange('anything'), 401, 'permission_unknown', realm);
      const answer = await authorizeAsUser(t.baseUrl, `/oauth1/authorize?oauth_token=${temp.key}`);
      const verifier = new URL(answer.callback ?? '').searchParams.get('oauth_verifier') ?? '';
      assert.equal(new URL(answer.callback ?? '').searchParams.get('oauth_token'), temp.key);
      const wrong = await exchange(`${verifier}x`);
      assertProblem(wrong, 401, 'parameter_rejected', realm);
      assert.equal(parseForm(wrong.body).oauth_parameters_rejected, 'oauth_verifier');
      assert.equal((await exchange(verifier)).status, 200);
      assertProblem(await exchange(verifier), 401, 'token_used', realm);
      // Temporary credentials are no token credentials.
      assertProblem(await signedGet(oauth, meUrl, temp), 401, 'token_rejected', realm);
    });

    it('temporary credentials expire after oauth1TemporaryTtl', async () => {
      const consumer = await createConsumer(t.app);
      const { oauth, temp } = await temporary(consumer);
      const answer = await authorizeAsUser(t.baseUrl, `/oauth1/authorize?oauth_token=${temp.key}`);
      const verifier = new URL(answer.callback ?? '').searchParams.get('oauth_verifier') ?? '';
      clock.advance(601_000);
      const r = await call(atUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: atUrl, method: 'POST' }, temp, { oauth_verifier: verifier }) },
      });
      assertProblem(r, 401, 'token_expired', realm);
      // Expired temporary credentials are purged in the background by the app's purge tasks.
      const task = t.app.purgeTasks.find((p) => p.name === 'oauth1_temporary');
      assert.ok(task);
      assert.ok((await task.run(clock.now(), 1000)) >= 1);
      assertProblem(
        await call(atUrl, {
          method: 'POST',
          headers: { authorization: authHeader(oauth, { url: atUrl, method: 'POST' }, temp, { oauth_verifier: verifier }) },
        }),
        401,
        'token_rejected',
        realm,
      );
    });

    it('callback mismatch: 400 parameter_rejected naming oauth_callback', async () => {
      const consumer = await createConsumer(t.app, { callbackUrl: CALLBACK });
      const oauth = clocked(npmClient(consumer.key, consumer.secret));
      const ask = (cb: string) =>
        call(rtUrl, { method: 'POST', headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: cb }) } });
      for (const cb of ['http://127.0.0.1:9/elsewhere', 'https://attacker.example/cb', 'javascript:alert(1)']) {
        const r = await ask(cb);
        assertProblem(r, 400, 'parameter_rejected', realm);
        assert.equal(parseForm(r.body).oauth_parameters_rejected, 'oauth_callback');
      }
      assert.equal((await ask(`${CALLBACK}?state=1`)).status, 200);
      assert.equal((await ask('oob')).status, 200);
      const oobOnly = await createConsumer(t.app, { callbackUrl: 'oob' });
      const o2 = clocked(npmClient(oobOnly.key, oobOnly.secret));
      const r = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(o2, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: CALLBACK }) },
      });
      assertProblem(r, 400, 'parameter_rejected', realm);
    });

    it('duplicated, missing and unsupported parameters are 400s; none is ever a 500', async () => {
      const consumer = await createConsumer(t.app);
      const oauth = clocked(npmClient(consumer.key, consumer.secret));
      const header = authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' });
      const dup = await call(rtUrl, { method: 'POST', headers: { authorization: `${header}, oauth_nonce="again"` } });
      assertProblem(dup, 400, 'parameter_rejected', realm);
      assert.equal(parseForm(dup.body).oauth_parameters_rejected, 'oauth_nonce');
      // The same protocol parameter in the header and the query.
      assertProblem(await call(`${rtUrl}?oauth_nonce=x`, { method: 'POST', headers: { authorization: header } }), 400, 'parameter_rejected', realm);
      const absent = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: `OAuth oauth_consumer_key="${consumer.key}", oauth_signature_method="HMAC-SHA1"` },
      });
      assertProblem(absent, 400, 'parameter_absent', realm);
      assert.equal(parseForm(absent.body).oauth_parameters_absent, 'oauth_signature&oauth_timestamp&oauth_nonce');
      const noCallback = await call(rtUrl, { method: 'POST', headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }) } });
      assertProblem(noCallback, 400, 'parameter_absent', realm);
      assertProblem(
        await call(rtUrl, { method: 'POST', headers: { authorization: header.replace('HMAC-SHA1', 'HMAC-MD5') } }),
        400,
        'signature_method_rejected',
        realm,
      );
      assertProblem(
        await call(rtUrl, { method: 'POST', headers: { authorization: header.replace('oauth_version="1.0"', 'oauth_version="2.0"') } }),
        400,
        'version_rejected',
        realm,
      );
      for (const authorization of [
        'OAuth',
        'OAuth garbage',
        'OAuth oauth_consumer_key="%00%zz"',
        `OAuth ${'a="b", '.repeat(500)}`,
        'OAuth oauth_consumer_key="\u00e9"',
      ]) {
        const r = await call(rtUrl, { method: 'POST', headers: { authorization: Buffer.from(authorization, 'utf8').toString('latin1') } });
        assert.ok(r.status === 400 || r.status === 401, `${authorization.slice(0, 40)} → ${r.status} ${r.body}`);
      }
      const nul = clocked(npmClient('\u0000key', 'secret'));
      assertProblem(
        await call(rtUrl, {
          method: 'POST',
          headers: { authorization: authHeader(nul, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
        }),
        401,
        'consumer_key_unknown',
        realm,
      );
      // The API answers the same problems (as JSON, with the challenge header).
      const me = await call(meUrl, {
        headers: { authorization: `${authHeader(oauth, { url: meUrl, method: 'GET' }, { key: 'k', secret: 's' })}, oauth_token="k2"` },
      });
      assertProblem(me, 400, 'parameter_rejected', realm);
    });

    it('PLAINTEXT is accepted on a loopback development issuer', async () => {
      const consumer = await createConsumer(t.app);
      const oauth = clocked(npmClient(consumer.key, consumer.secret, 'PLAINTEXT'));
      const r = await call(rtUrl, {
        method: 'POST',
        headers: { authorization: authHeader(oauth, { url: rtUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
      });
      assert.equal(r.status, 200, r.body);
    });
  });
}

describe('OAuth 1.0a behind a reverse proxy on plain http (issuer http://auth.example.test)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer({ env: { LATCHKEY_ISSUER: 'http://auth.example.test/sso' } });
  });
  after(async () => t.close());

  it("the base string URI uses the issuer's scheme, host and path prefix, not the connection's", async () => {
    const consumer = await createConsumer(t.app);
    const oauth = npmClient(consumer.key, consumer.secret);
    const publicUrl = 'http://auth.example.test/sso/oauth1/request_token';
    const good = await call(`${t.baseUrl}/oauth1/request_token`, {
      method: 'POST',
      headers: { authorization: authHeader(oauth, { url: publicUrl, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
    });
    assert.equal(good.status, 200, good.body);
    const local = await call(`${t.baseUrl}/oauth1/request_token`, {
      method: 'POST',
      headers: { authorization: authHeader(oauth, { url: `${t.baseUrl}/oauth1/request_token`, method: 'POST' }, undefined, { oauth_callback: 'oob' }) },
    });
    assertProblem(local, 401, 'signature_invalid', 'http://auth.example.test/sso');
  });

  it('PLAINTEXT over plain http is refused (400 signature_method_rejected)', async () => {
    const consumer = await createConsumer(t.app);
    const oauth = npmClient(consumer.key, consumer.secret, 'PLAINTEXT');
    const r = await call(`${t.baseUrl}/oauth1/request_token`, {
      method: 'POST',
      headers: {
        authorization: authHeader(oauth, { url: 'http://auth.example.test/sso/oauth1/request_token', method: 'POST' }, undefined, { oauth_callback: 'oob' }),
      },
    });
    assertProblem(r, 400, 'signature_method_rejected', 'http://auth.example.test/sso');
  });
});
