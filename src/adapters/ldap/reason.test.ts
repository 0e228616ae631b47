import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DirectoryConnection } from '../../core/directories/directory.js';
import { reasonOf } from './client.js';

const c: DirectoryConnection = {
  host: 'ldap.example',
  port: 636,
  security: 'ldaps',
  caBundle: null,
  verifyHostname: true,
  connectTimeoutMs: 5000,
  readTimeoutMs: 10000,
};

describe('the reason an administrator is shown for an unavailable directory', () => {
  it('names what happened in fixed words, and masks secrets', () => {
    assert.equal(reasonOf(new Error('Socket error. Message type: SearchRequest (0x63)'), c), 'connection to ldap.example:636 closed');
    assert.equal(reasonOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), c), 'connection refused by ldap.example:636');
    assert.equal(reasonOf(new Error('Connection timeout'), c), 'no connection to ldap.example:636 within 5000 ms');
    assert.equal(reasonOf(new Error('bind failed for s3cret-pw\nsecond line'), c, ['s3cret-pw']), 'bind failed for ***');
  });
});
