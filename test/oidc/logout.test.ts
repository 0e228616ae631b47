import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { signIn } from '../oauth2/helpers.js';
import { backendNames } from '../support/backends.js';
import { LOOPBACK_RECEIVERS, startServer, type TestServer } from '../support/server.js';
import {
  alice,
  CookieJar,
  discover,
  type LogoutReceiver,
  makeOidcClient,
  makeUser,
  POST_LOGOUT,
  REDIRECT,
  redirected,
  startLogoutReceiver,
  verifyIdToken,
  walk,
} from './helpers.js';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** RP-Initiated Logout 1.0 and Back-Channel Logout 1.0 against a receiver on 127.0.0.1. */
for (const backend of backendNames()) {
  describe(`logout on ${backend}`, () => {
    let t: TestServer;
    let receiver: LogoutReceiver;
    let aliceId: string;
    let withBackChannel: { key: string; secret: string | null };
    let alsoBackChannel: { key: string; secret: string | null };
    let frontOnly: { key: string; secret: string | null };

    before(async () => {
      t = await startServer({ backend, env: { ...LOOPBACK_RECEIVERS } });
      receiver = await startLogoutReceiver();
      aliceId = await makeUser(t, alice.username, alice.password);
      withBackChannel = await makeOidcClient(t, {
        name: 'Wiki',
        metadata: { backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true },
      });
      alsoBackChannel = await makeOidcClient(t, {
        name: 'Tracker',
        metadata: { backchannel_logout_uri: `${receiver.uri}?rp=tracker`, id_token_signed_response_alg: 'ES256' },
      });
      frontOnly = await makeOidcClient(t, { name: 'Blog' });
    });
    after(async () => {
      await t.close();
      await receiver.close();
    });
    beforeEach(() => {
      receiver.received.length = 0;
    });

    /** Signs alice in and lets each client obtain an ID token in the same session. */
    async function sessionWithClients() {
      const jar = new CookieJar();
      const idTokens: Record<string, string> = {};
      for (const c of [withBackChannel, alsoBackChannel, frontOnly]) {
        const config = await discover(t, c, c === alsoBackChannel ? { id_token_signed_response_alg: 'ES256' } : {});
        const nonce = client.randomNonce();
        const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', nonce });
        const tokens = await client.authorizationCodeGrant(config, redirected(await walk(jar, t, url.href, alice)), {
          expectedNonce: nonce,
          expectedState: client.skipStateCheck,
        });
        idTokens[c.key] = tokens.id_token ?? '';
      }
      return { jar, idTokens };
    }

    const signedIn = async (jar: CookieJar) => (await jar.fetch(`${t.baseUrl}/`)).status === 200;
    const logoutUrl = (params: Record<string, string>) => `${t.baseUrl}/oidc/logout?${new URLSearchParams(params)}`;

    it('a trusted request ends the session, returns to the registered URI with state, and notifies each back-channel client', async () => {
      const { jar, idTokens } = await sessionWithClients();
      const hint = idTokens[withBackChannel.key] ?? '';
      const sid = (await verifyIdToken(t, hint, withBackChannel.key)).sid;
      assert.equal(typeof sid, 'string');

      const started = Date.now();
      const res = await jar.fetch(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT, state: 'bye-123' }));
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), `${POST_LOGOUT}?state=bye-123`);
      assert.ok(Date.now() - started < 2_000);
      assert.equal(await signedIn(jar), false, 'the Latchkey session is gone');

      await receiver.waitFor(2);
      const jwks = createRemoteJWKSet(new URL(`${t.baseUrl}/jwks.json`));
      const byClient = new Map<string, Record<string, unknown>>();
      for (const r of receiver.received) {
        assert.equal(r.contentType, 'application/x-www-form-urlencoded');
        const token = r.body.get('logout_token') ?? '';
        const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: t.baseUrl, typ: 'logout+jwt' });
        byClient.set(String(payload.aud), payload);
        assert.equal(protectedHeader.alg, payload.aud === alsoBackChannel.key ? 'ES256' : 'RS256');
      }
      assert.deepEqual([...byClient.keys()].sort(), [withBackChannel.key, alsoBackChannel.key].sort(), 'the client without a back-channel URI gets nothing');
      for (const payload of byClient.values()) {
        assert.equal(payload.sub, aliceId);
        assert.equal(payload.sid, sid);
        assert.deepEqual(payload.events, { [EVENT]: {} });
        assert.equal(typeof payload.jti, 'string');
        assert.ok(Number(payload.exp) > Number(payload.iat));
        assert.equal(payload.nonce, undefined);
      }

      // The user is signed out: prompt=none now needs a login.
      const config = await discover(t, withBackChannel);
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', prompt: 'none' });
      assert.equal(redirected(await walk(jar, t, url.href)).searchParams.get('error'), 'login_required');
    });

    it('without an ID token the user confirms on a Latchkey page; Stay signed in changes nothing', async () => {
      const { jar } = await sessionWithClients();
      const page = await jar.fetch(logoutUrl({ client_id: frontOnly.key, post_logout_redirect_uri: POST_LOGOUT, state: 's' }));
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /Sign out of Latchkey\?/);
      assert.match(html, /Blog/);
      const csrf = html.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
      assert.ok(await signedIn(jar), 'nothing happened yet');

      const confirm = (decision: string, extra: Record<string, string> = {}) =>
        jar.fetch(`${t.baseUrl}/oidc/logout/confirm`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf_token: csrf, client_id: frontOnly.key, post_logout_redirect_uri: POST_LOGOUT, state: 's', decision, ...extra }),
        });
      assert.equal((await confirm('stay')).status, 200);
      assert.ok(await signedIn(jar));
      assert.equal((await confirm('logout', { csrf_token: 'forged' })).status, 400);
      assert.ok(await signedIn(jar), 'a forged confirmation is refused');
      const done = await confirm('logout');
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('location'), `${POST_LOGOUT}?state=s`);
      assert.equal(await signedIn(jar), false);
      await receiver.waitFor(2);
    });

    it('a post_logout_redirect_uri the client did not register, or a forged hint, is an error page: no redirect, no sign-out', async () => {
      const { jar, idTokens } = await sessionWithClients();
      const hint = idTokens[withBackChannel.key] ?? '';
      const unregistered = await jar.fetch(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: 'http://127.0.0.1:9/elsewhere', state: 'x' }));
      assert.equal(unregistered.status, 400);
      assert.equal(unregistered.headers.get('location'), null);
      assert.match(await unregistered.text(), /not registered/);

      const [h, p, s] = hint.split('.');
      const altered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p ?? '', 'base64url').toString()), sub: 'someone' })).toString('base64url')}.${s}`;
      const forged = await jar.fetch(logoutUrl({ id_token_hint: altered, post_logout_redirect_uri: POST_LOGOUT }));
      assert.equal(forged.status, 400);
      assert.equal(forged.headers.get('location'), null);

      // No hint and no client_id: the destination cannot be checked.
      const anonymous = await jar.fetch(logoutUrl({ post_logout_redirect_uri: POST_LOGOUT }));
      assert.equal(anonymous.status, 400);
      assert.ok(await signedIn(jar));
      assert.equal(receiver.received.length, 0);
    });

    it('an RP may POST the request; a second request without a session just returns', async () => {
      const { jar, idTokens } = await sessionWithClients();
      const hint = idTokens[frontOnly.key] ?? '';
      const post = await jar.fetch(`${t.baseUrl}/oidc/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT }),
      });
      assert.equal(post.status, 303);
      assert.equal(post.headers.get('location'), POST_LOGOUT);
      assert.equal(await signedIn(jar), false);
      const again = await jar.fetch(logoutUrl({ id_token_hint: hint, post_logout_redirect_uri: POST_LOGOUT, state: 'again' }));
      assert.equal(again.headers.get('location'), `${POST_LOGOUT}?state=again`);
      const noParams = await jar.fetch(logoutUrl({}));
      assert.equal(noParams.status, 200);
      assert.match(await noParams.text(), /signed out/);
    });

    it('signing in as someone else in the same browser ends the previous session, and its clients are told', async () => {
      const { jar, idTokens } = await sessionWithClients();
      const sid = (await verifyIdToken(t, idTokens[withBackChannel.key] ?? '', withBackChannel.key)).sid;
      await makeUser(t, 'carol', 'carol-password-1');
      const signed = await signIn(jar, t.baseUrl, 'carol', 'carol-password-1');
      assert.equal(signed.status, 303);
      // A notification of the previous test's sign-out may still arrive late under load: count
      // this session's only.
      const mine = () => receiver.received.map((r) => decodeJwt(r.body.get('logout_token') ?? '')).filter((c) => c.sid === sid);
      for (const until = Date.now() + 5000; mine().length < 2 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 20));
      assert.equal(mine().length, 2, 'both clients of the ended session are told');
      for (const claims of mine()) assert.equal(claims.sub, aliceId);
    });

    it("Latchkey's own sign-out notifies the clients too, and a slow receiver never holds it up", async () => {
      const slow = await startLogoutReceiver({ delayMs: 3_000 });
      try {
        const slowClient = await makeOidcClient(t, { name: 'Slow RP', metadata: { backchannel_logout_uri: slow.uri } });
        const jar = new CookieJar();
        const config = await discover(t, slowClient);
        const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid' });
        await client.authorizationCodeGrant(config, redirected(await walk(jar, t, url.href, alice)), { expectedState: client.skipStateCheck });
        const home = await (await jar.fetch(`${t.baseUrl}/`)).text();
        const csrf = home.match(/name="csrf_token" value="([^"]+)"/)?.[1] ?? '';
        const started = Date.now();
        const out = await jar.fetch(`${t.baseUrl}/logout`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ csrf_token: csrf }),
        });
        assert.equal(out.status, 303);
        assert.ok(Date.now() - started < 1_000, `sign-out took ${Date.now() - started} ms`);
        await slow.waitFor(1);
        await t.app.oidc.backChannel.settle();
        const delivered = t.app.oidc.deliveries.find((d) => d.clientKey === slowClient.key);
        assert.equal(delivered?.status, 200);
      } finally {
        await slow.close();
      }
    });
  });
}
