import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { compactVerify, decodeProtectedHeader, jwtVerify } from 'jose';
import { signCompact } from './jws.js';

describe('signCompact (RFC 7515 compact JWS with node:crypto)', () => {
  for (const alg of ['ES256', 'RS256'] as const) {
    it(`produces a ${alg} JWT that jose verifies, with the header as given`, async () => {
      const { privateKey, publicKey } =
        alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const token = signCompact(alg, privateKey, { typ: 'at+jwt', kid: 'k1' }, { sub: 'u', scope: 'a b', exp: 2_000_000_000 });
      assert.deepEqual(decodeProtectedHeader(token), { typ: 'at+jwt', kid: 'k1', alg });
      const { payload } = await jwtVerify(token, publicKey, { algorithms: [alg], typ: 'at+jwt' });
      assert.equal(payload.sub, 'u');
      assert.equal(payload.scope, 'a b');
      // The payload segment is exactly the claims given, in base64url JSON (RFC 7515 §7.1).
      const [h, p, s] = token.split('.');
      assert.deepEqual(JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')), { sub: 'u', scope: 'a b', exp: 2_000_000_000 });
      // Any change to the signed part breaks the signature.
      const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: 2_000_000_000 })).toString('base64url')}.${s}`;
      await assert.rejects(compactVerify(forged, publicKey), /signature verification failed/);
    });
  }
});
