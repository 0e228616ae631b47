import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { describeJsonProblem, type JsonBounds, jsonValueProblem, scanJsonText, utf8Length } from './bounded-json.js';

const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe('bounded JSON', () => {
  it('counts depth from 1 at the top-level container, in arrays, objects and both', () => {
    const bounds: JsonBounds = { depth: 3, members: 100 };
    assert.equal(scanJsonText(nested(3), bounds), null);
    assert.deepEqual(scanJsonText(nested(4), bounds), { kind: 'depth', limit: 3 });
    assert.equal(scanJsonText('{"a":{"b":[1]}}', bounds), null);
    assert.deepEqual(scanJsonText('{"a":{"b":[[1]]}}', bounds), { kind: 'depth', limit: 3 });
    assert.equal(scanJsonText('"a scalar"', { depth: 0, members: 0 }), null);
  });

  it('counts object keys and array elements, and nothing inside strings', () => {
    const bounds: JsonBounds = { depth: 10, members: 3 };
    assert.equal(scanJsonText('{"a":1,"b":[2,3]}', { depth: 10, members: 4 }), null);
    assert.deepEqual(scanJsonText('{"a":1,"b":[2,3]}', bounds), { kind: 'members', limit: 3 });
    assert.equal(scanJsonText('["[[[[,,,,{{{{", "\\"]]],,,"]', bounds), null);
    assert.equal(scanJsonText(' [ ] ', bounds), null);
    assert.equal(scanJsonText('{ }', bounds), null);
  });

  it('stops at the first bound crossed, so 100,000 levels cost nothing', () => {
    const started = process.hrtime.bigint();
    assert.deepEqual(scanJsonText('['.repeat(100_000), { depth: 32, members: 1000 }), { kind: 'depth', limit: 32 });
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
  });

  it('agrees with the check of the parsed value on any JSON document', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 40 }), (value, depth, members) => {
        const bounds = { depth, members };
        const text = JSON.stringify(value);
        const fromText = scanJsonText(text, bounds);
        const fromValue = jsonValueProblem(value, bounds);
        // Both find a problem or neither does (which one is found first may differ).
        assert.equal(fromText === null, fromValue === null, text);
      }),
    );
  });

  it('checks the serialized size of a value only once its depth is known to be safe', () => {
    assert.deepEqual(jsonValueProblem({ a: 'x'.repeat(2000) }, { depth: 4, members: 10, bytes: 1024 }), { kind: 'bytes', limit: 1024 });
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    assert.deepEqual(jsonValueProblem(deep, { depth: 16, members: 500, bytes: 1024 }), { kind: 'depth', limit: 16 });
    assert.deepEqual(scanJsonText(`"${'é'.repeat(600)}"`, { depth: 1, members: 1, bytes: 1024 }), { kind: 'bytes', limit: 1024 });
  });

  it('describes a problem without echoing the document', () => {
    assert.equal(describeJsonProblem({ kind: 'depth', limit: 32 }), 'the JSON body is nested more than 32 levels deep');
    assert.equal(describeJsonProblem({ kind: 'members', limit: 1000 }), 'the JSON body has more than 1000 keys and array elements');
    assert.equal(describeJsonProblem({ kind: 'bytes', limit: 48 * 1024 }, 'the metadata'), 'the metadata is larger than 48 KiB');
  });
});

describe('utf8Length', () => {
  it('counts the bytes Node.js encodes, surrogates and lone surrogates included', () => {
    const samples = ['', 'a', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', 'x\ud83d', '\u07ff\u0800\uffff'];
    for (const s of samples) assert.equal(utf8Length(s), Buffer.byteLength(s, 'utf8'), JSON.stringify(s));
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === Buffer.byteLength(s, 'utf8')));
  });
});
