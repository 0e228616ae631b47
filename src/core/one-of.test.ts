import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isOneOf } from './one-of.js';

it('narrows a string to a member of a tuple, and refuses others', () => {
  const MODES = ['query', 'fragment'] as const;
  const given: string = 'fragment';
  assert.equal(isOneOf(MODES, given), true);
  assert.equal(isOneOf(MODES, 'form_post'), false);
  assert.equal(isOneOf(MODES, 'Query'), false);
});
