import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { systemRandom } from '../../adapters/system.js';
import { constantTimeEqual } from './constant-time.js';
import { SecretBox } from './secret-box.js';

/** AES-GCM's refusal: the tag does not authenticate this ciphertext, key and context (AAD). */
const NOT_AUTHENTIC = /unable to authenticate data/;

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32), systemRandom);

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.seal('my-consumer-secret-123', 'client-secret:abc');
    assert.ok(!sealed.includes('my-consumer-secret-123'));
    assert.equal(box.open(sealed, 'client-secret:abc'), 'my-consumer-secret-123');
  });

  it('uses a fresh IV each time', () => {
    assert.notEqual(box.seal('same', 'ctx'), box.seal('same', 'ctx'));
  });

  it('refuses another context (a ciphertext moved to another row)', () => {
    const sealed = box.seal('secret', 'client-secret:a');
    assert.throws(() => box.open(sealed, 'client-secret:b'), NOT_AUTHENTIC);
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = box.seal('secret', 'ctx');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'ctx'), NOT_AUTHENTIC);
  });

  it('refuses a shortened authentication tag', () => {
    const parts = box.seal('secret', 'ctx').split('.');
    parts[2] = Buffer.from(parts[2] ?? '', 'base64url')
      .subarray(0, 4)
      .toString('base64url');
    assert.throws(() => box.open(parts.join('.'), 'ctx'), /tag length/);
  });

  it('makes MACs bound to their context', () => {
    const mac = box.mac('1700000000000', 'reauth:client-a');
    assert.equal(box.verifyMac('1700000000000', 'reauth:client-a', mac), true);
    assert.equal(box.verifyMac('1700000000001', 'reauth:client-a', mac), false);
    assert.equal(box.verifyMac('1700000000000', 'reauth:client-b', mac), false);
  });

  it('refuses another master key', () => {
    const other = new SecretBox(randomBytes(32), systemRandom);
    assert.throws(() => other.open(box.seal('secret', 'ctx'), 'ctx'), NOT_AUTHENTIC);
  });

  it('still refuses a tampered value or another context after opening the genuine one', () => {
    const sealed = box.seal('kept secret', 'client:a');
    assert.equal(box.open(sealed, 'client:a'), 'kept secret');
    assert.equal(box.open(sealed, 'client:a'), 'kept secret');
    assert.throws(() => box.open(sealed, 'client:b'), NOT_AUTHENTIC);
    const [v, iv, tag, body] = sealed.split('.');
    const flipped = `${(body as string).startsWith('A') ? 'B' : 'A'}${(body as string).slice(1)}`;
    assert.throws(() => box.open([v, iv, tag, flipped].join('.'), 'client:a'), NOT_AUTHENTIC);
  });

  it('needs a 32-byte key', () => {
    assert.throws(() => new SecretBox(randomBytes(16), systemRandom), /32 bytes/);
  });
});

describe('constantTimeEqual', () => {
  it('compares values of any length', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    assert.equal(constantTimeEqual('', ''), true);
  });
});
