import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRecord, parseStringList } from './json.js';

function reader<T>(read: (text: string, onUnreadable: () => void) => T) {
  return (text: string) => {
    let unreadable = false;
    const value = read(text, () => {
      unreadable = true;
    });
    return { value, unreadable };
  };
}

describe('stored JSON readers', () => {
  const record = reader(parseRecord);
  const list = reader(parseStringList);

  it('read what this code writes', () => {
    assert.deepEqual(record('{"a":1}'), { value: { a: 1 }, unreadable: false });
    assert.deepEqual(list('["openid","email"]'), { value: ['openid', 'email'], unreadable: false });
  });

  it('read damaged or foreign values as empty, and say so', () => {
    for (const text of ['{', '[1]', '"x"', 'null', '[]']) assert.deepEqual(record(text), { value: {}, unreadable: true }, text);
    for (const text of ['[', '{"a":1}', '["a",2]', '[null]', '"a"']) assert.deepEqual(list(text), { value: [], unreadable: true }, text);
    const deep = `${'['.repeat(200)}${']'.repeat(200)}`;
    assert.deepEqual(list(deep), { value: [], unreadable: true });
  });
});
