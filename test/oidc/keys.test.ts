import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { backendNames } from '../support/backends.js';
import { startServer, type TestServer } from '../support/server.js';
import { alice, CookieJar, discover, header, makeOidcClient, makeUser, REDIRECT, redirected, startPeer, verifyIdToken, walk } from './helpers.js';

type Peer = Awaited<ReturnType<typeof startPeer>>;

/** Key rotation on one instance reaches every instance sharing the database, without a restart. */
for (const backend of backendNames()) {
  describe(`signing key rotation across instances on ${backend}`, () => {
    let t: TestServer;
    let peer: Peer;
    let rp: { key: string; secret: string | null };
    let es: { key: string; secret: string | null };

    before(async () => {
      t = await startServer({ backend });
      peer = await startPeer(t);
      await makeUser(t, alice.username, alice.password);
      rp = await makeOidcClient(t);
      es = await makeOidcClient(t, { name: 'EC RP', metadata: { id_token_signed_response_alg: 'ES256' } });
    });
    after(async () => {
      await peer.close();
      await t.close();
    });

    const password = (config: client.Configuration) =>
      client.genericGrantRequest(config, 'password', { username: alice.username, password: alice.password, scope: 'openid' });

    it('new ID tokens use the new keys within seconds everywhere; tokens signed before keep validating', async () => {
      const config = await discover(t, rp);
      const esConfig = await discover(t, es, { id_token_signed_response_alg: 'ES256' });
      const before = await password(config);
      const beforeEs = await password(esConfig);
      const oldKid = header(before.id_token ?? '').kid;
      const oldEsKid = header(beforeEs.id_token ?? '').kid;
      // A browser session and an ID token from before the rotation, for id_token_hint below.
      const jar = new CookieJar();
      const rpConfig = await discover(t, rp);
      await walk(jar, t, client.buildAuthorizationUrl(rpConfig, { redirect_uri: REDIRECT, scope: 'openid' }).href, alice);

      // The rotation happens at the other instance (as `latchkey keys rotate` would).
      const rotated = await peer.app.oauth2.keys.rotate();
      assert.deepEqual(rotated.map((k) => k.alg).sort(), ['ES256', 'RS256']);

      // The first instance picks the new keys up from the database within its refresh period.
      const started = Date.now();
      let kid = oldKid;
      while (kid === oldKid) {
        assert.ok(Date.now() - started < 8_000, 'the new key was not used within 8 s');
        await new Promise((r) => setTimeout(r, 250));
        kid = header((await password(await discover(t, rp))).id_token ?? '').kid;
      }
      assert.ok(Date.now() - started < 6_500, `took ${Date.now() - started} ms`);
      assert.equal(kid, rotated.find((k) => k.alg === 'RS256')?.kid);
      const esAfter = header((await password(await discover(t, es, { id_token_signed_response_alg: 'ES256' }))).id_token ?? '').kid;
      assert.notEqual(esAfter, oldEsKid);

      // Old tokens still verify against /jwks.json of either instance, which lists old and new keys.
      for (const base of [t.baseUrl, peer.baseUrl]) {
        const jwks = (await (await fetch(`${base}/jwks.json`)).json()) as { keys: Array<{ kid: string; d?: string }> };
        const kids = jwks.keys.map((k) => k.kid);
        for (const k of [oldKid, oldEsKid, kid, esAfter]) assert.ok(kids.includes(k), `${base} lists ${k}`);
        assert.ok(
          jwks.keys.every((k) => k.d === undefined),
          'no private parts',
        );
      }
      assert.equal((await verifyIdToken(t, before.id_token ?? '', rp.key)).sub, before.claims()?.sub);
      assert.equal((await verifyIdToken(t, beforeEs.id_token ?? '', es.key)).sub, before.claims()?.sub);
      // ... and so do access tokens signed before the rotation, at UserInfo of both instances.
      for (const base of [t.baseUrl, peer.baseUrl]) {
        const info = await fetch(`${base}/userinfo`, { headers: { authorization: `Bearer ${before.access_token}` } });
        assert.equal(info.status, 200);
      }
      // ... and an old ID token is still a valid id_token_hint.
      const hinted = client.buildAuthorizationUrl(rpConfig, { redirect_uri: REDIRECT, scope: 'openid', prompt: 'none', id_token_hint: before.id_token ?? '' });
      assert.ok(redirected(await walk(jar, t, hinted.href)).searchParams.get('code'));
    });
  });
}
