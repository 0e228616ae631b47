import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { SecretBox } from '../crypto/secret-box.js';
import type { SigningKeyStore, StoredSigningKey } from '../oauth2/storage.js';
import { AccessTokens } from './access-token.js';
import { KeyRing } from './signing-keys.js';

class MemoryKeys implements SigningKeyStore {
  rows: StoredSigningKey[] = [];
  reads = 0;
  async list() {
    this.reads++;
    return this.rows.map((r) => ({ ...r }));
  }
  async insert(k: StoredSigningKey) {
    this.rows.push({ ...k });
  }
  async retireOthers(alg: string, keep: string, at: number) {
    let n = 0;
    for (const r of this.rows) {
      if (r.alg !== alg || r.kid === keep || r.retiredAt !== null) continue;
      r.retiredAt = at;
      n++;
    }
    return n;
  }
  async purgeRetired(before: number) {
    const n = this.rows.length;
    this.rows = this.rows.filter((r) => r.retiredAt === null || r.retiredAt >= before);
    return n - this.rows.length;
  }
}

function setup() {
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const store = new MemoryKeys();
  const secrets = new SecretBox(randomBytes(32), { bytes: randomBytes });
  const ring = new KeyRing({ store, secrets, clock, retainRetiredMs: 960_000 });
  const tokens = new AccessTokens({ keys: ring, clock, random: { bytes: randomBytes }, issuer: 'https://id.example', audience: 'https://id.example/api' });
  return { store, ring, tokens, secrets, advance: (ms: number) => (now += ms) };
}

const mint = (t: AccessTokens, alg: 'ES256' | 'RS256' = 'ES256') =>
  t.mint({ grantId: 'g', clientKey: 'c', subject: 'u', scopes: ['profile'], authTime: null, alg, ttlSeconds: 900 });

describe('signing keys and RFC 9068 access tokens', () => {
  it('creates a key on first use, seals its private part, and publishes only the public part', async () => {
    const { store, ring, tokens } = setup();
    const { token } = await mint(tokens);
    assert.equal(store.rows.length, 1);
    const row = store.rows[0];
    assert.ok(row && !row.privateSealed.includes('"d"'));
    const jwks = await ring.jwks();
    assert.equal(jwks.keys.length, 1);
    assert.equal(jwks.keys[0]?.d, undefined);
    assert.equal((await tokens.verify(token)).sub, 'u');
  });

  it('rotates: new tokens use the new key, old ones validate until their lifetime has passed', async () => {
    const { ring, tokens, advance } = setup();
    const old = await mint(tokens);
    const [fresh] = await ring.rotate(['ES256']);
    const next = await mint(tokens);
    assert.notEqual(
      JSON.parse(Buffer.from(next.token.split('.')[0] ?? '', 'base64url').toString()).kid,
      JSON.parse(Buffer.from(old.token.split('.')[0] ?? '', 'base64url').toString()).kid,
    );
    assert.equal(JSON.parse(Buffer.from(next.token.split('.')[0] ?? '', 'base64url').toString()).kid, fresh?.kid);
    assert.equal((await tokens.verify(old.token)).jti, old.claims.jti);
    assert.equal((await ring.jwks()).keys.length, 2);
    advance(961_000);
    assert.equal((await ring.jwks()).keys.length, 1);
    await assert.rejects(tokens.verify(old.token), /expired|unknown or retired/);
  });

  it('sees a key added by another instance: periodically, and at once for an unknown kid', async () => {
    const a = setup();
    const b = { ring: new KeyRing({ store: a.store, secrets: a.secrets, clock: { now: () => a.advance(0) }, retainRetiredMs: 960_000 }) };
    const tokensB = new AccessTokens({
      keys: b.ring,
      clock: { now: () => a.advance(0) },
      random: { bytes: randomBytes },
      issuer: 'https://id.example',
      audience: 'https://id.example/api',
    });
    await mint(tokensB);
    a.advance(2_000);
    await a.ring.rotate(['ES256']);
    const fromA = await mint(a.tokens);
    assert.equal((await tokensB.verify(fromA.token)).sub, 'u', 'unknown kid triggers a re-read');
    a.advance(5_001);
    const fromB = await mint(tokensB);
    assert.equal(
      JSON.parse(Buffer.from(fromB.token.split('.')[0] ?? '', 'base64url').toString()).kid,
      JSON.parse(Buffer.from(fromA.token.split('.')[0] ?? '', 'base64url').toString()).kid,
    );
  });

  it('verifies RFC 9068 shape: typ, issuer, audience, expiry; RS256 as well', async () => {
    const { tokens, advance } = setup();
    const rs = await mint(tokens, 'RS256');
    const claims = await tokens.verify(rs.token);
    assert.equal(claims.aud, 'https://id.example/api');
    assert.equal(claims.client_id, 'c');
    assert.equal(claims.exp - claims.iat, 900);
    const other = setup();
    await assert.rejects(other.tokens.verify(rs.token), /unknown or retired/);
    await assert.rejects(tokens.verify('a.b.c'), /malformed/);
    advance(901_000);
    await assert.rejects(tokens.verify(rs.token), /expired/);
  });
});
