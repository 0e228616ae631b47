import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guidToUuid, isGuidAttribute, uuidToGuid } from './guid.js';

describe('objectGUID', () => {
  // Microsoft's example layout: the first three fields little-endian, the last two as stored.
  const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
  const text = '00112233-4455-6677-8899-aabbccddeeff';

  it('reads the mixed-endian bytes as the canonical UUID text (RFC 9562 §4)', () => {
    assert.equal(guidToUuid(bytes), text);
    assert.throws(() => guidToUuid(Buffer.alloc(15)));
  });

  it('turns the text back into the bytes a search filter sends', () => {
    assert.deepEqual(uuidToGuid(text), bytes);
    assert.deepEqual(uuidToGuid(text.toUpperCase()), bytes);
    for (const bad of ['', 'not-a-uuid', `${text}0`, text.replace(/-/g, ''), '{00112233-4455-6677-8899-aabbccddeeff}'])
      assert.equal(uuidToGuid(bad), null, bad);
    const random = Buffer.from('0f1e2d3c4b5a69788796a5b4c3d2e1f0', 'hex');
    assert.deepEqual(uuidToGuid(guidToUuid(random)), random);
  });

  it('knows objectGUID whatever its case', () => {
    assert.equal(isGuidAttribute('objectGUID'), true);
    assert.equal(isGuidAttribute('OBJECTGUID'), true);
    assert.equal(isGuidAttribute('entryUUID'), false);
  });
});
