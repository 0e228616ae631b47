import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearerChallenge, InvalidClient, InvalidGrant, InvalidToken, SlowDown, safeDescription, serializeError } from './errors.js';

describe('the OAuth2Error family and its serializer', () => {
  it('keeps the registered code and safe description, never caching', () => {
    const s = serializeError(new InvalidGrant('the code has expired', { secret: 'private detail' }));
    assert.equal(s.status, 400);
    assert.deepEqual(s.body, { error: 'invalid_grant', error_description: 'the code has expired' });
    assert.equal(s.headers['cache-control'], 'no-store');
    assert.ok(!JSON.stringify(s).includes('private detail'));
    assert.equal(serializeError(new SlowDown('wait')).body.error, 'slow_down');
  });

  it('answers invalid_client with 401 and a Basic challenge only when Basic was used', () => {
    const basic = serializeError(new InvalidClient('no', { basic: true }));
    assert.equal(basic.status, 401);
    assert.match(basic.headers['www-authenticate'] ?? '', /^Basic realm=/);
    assert.equal(serializeError(new InvalidClient('no')).headers['www-authenticate'], undefined);
  });

  it('turns anything unexpected into a plain server_error without echoing it', () => {
    const s = serializeError(new Error('connection string postgres://user:hunter2@db'));
    assert.equal(s.status, 500);
    assert.equal(s.body.error, 'server_error');
    assert.ok(!JSON.stringify(s.body).includes('hunter2'));
    assert.ok(s.unexpected instanceof Error);
  });

  it('keeps descriptions within the RFC 6749 §5.2 character set', () => {
    assert.equal(safeDescription('a "quoted" \\ value\n“x”'), 'a ?quoted? ? value??x?');
  });

  it('writes RFC 6750 challenges', () => {
    assert.equal(bearerChallenge(), 'Bearer realm="latchkey"');
    assert.equal(
      bearerChallenge(new InvalidToken('the access token has expired')),
      'Bearer realm="latchkey", error="invalid_token", error_description="the access token has expired"',
    );
  });
});
