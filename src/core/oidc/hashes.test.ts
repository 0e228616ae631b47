import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { leftHalfHash } from './hashes.js';

describe('at_hash and c_hash', () => {
  it('match the published examples of OIDC Core (§3.1.3.6 at_hash, Appendix A.4 c_hash)', () => {
    assert.equal(leftHalfHash('jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y', 'RS256'), '77QmUPtjPfzWtF2AnpK9RQ');
    assert.equal(leftHalfHash('Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk', 'RS256'), 'LDktKdoQak3Pk0cnXxCltA');
  });

  it('use SHA-256 for ES256 as well (128 bits, 22 base64url characters)', () => {
    const v = leftHalfHash('some-token', 'ES256');
    assert.equal(v, leftHalfHash('some-token', 'RS256'));
    assert.match(v, /^[A-Za-z0-9_-]{22}$/);
  });
});
