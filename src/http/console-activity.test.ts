import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from './console-activity.js';

describe('client activity grouping', () => {
  const group = (action: string) => classify({ action, details: {} });

  it('puts status changes in the status history', () => {
    for (const a of ['client.create', 'client.register', 'client.approve', 'client.disapprove', 'client.pending', 'client.remove']) {
      assert.equal(group(a), 'status', a);
    }
  });

  it('puts refused requests with their reason among failures', () => {
    for (const a of ['client.request_failed', 'token.failed', 'oauth1.request_rejected', 'authorize.denied', 'token.invalid']) {
      assert.equal(group(a), 'failure', a);
    }
  });

  it('puts settings changes apart, and every other event under use', () => {
    assert.equal(group('client.update'), 'change');
    assert.equal(group('client.secret_rotated'), 'change');
    for (const a of ['consent.grant', 'consent.revoke', 'token.issue', 'oauth1.access_token']) assert.equal(group(a), 'use', a);
  });
});
