import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { flag, readMembers, redirectUris, registrationMembers, text, textList, webUri } from './members.js';

describe('registration members', () => {
  it('reads null as absent and names each bad member once, by its field', () => {
    const { values, problems } = readMembers(
      { a: null, b: 7, c: ['x', ''], d: 'https://u:p@a.example/', e: 'yes', f: 'ok' },
      { a: text(10), b: text(10), c: textList(5, 10), d: webUri, e: flag, f: text(10) },
    );
    assert.deepEqual(values, { a: undefined, f: 'ok' });
    assert.deepEqual(problems, [
      { field: 'b', message: 'must be a string' },
      { field: 'c', message: 'entries must not be empty' },
      { field: 'd', message: '"https://u:p@a.example/" must not contain a user name or password' },
      { field: 'e', message: 'must be true or false' },
    ]);
  });

  it('reports the first problem of a member, in the order of the checks', () => {
    const read = (body: Record<string, unknown>) => readMembers(body, { x: textList(2, 5) }).problems.map((p) => p.message);
    assert.deepEqual(read({ x: [1, 2, 3] }), ['must be an array of strings']);
    assert.deepEqual(read({ x: ['a', 'b', 'c'] }), ['must have at most 2 entries']);
    assert.deepEqual(read({ x: ['toolong', ' '] }), ['entries must be at most 5 characters']);
    assert.deepEqual(readMembers({ x: `a\u0001${'b'.repeat(20)}` }, { x: text(10) }).problems[0]?.message, 'must be at most 10 characters');
  });

  it('reads redirect_uris as an array or one comma-separated string', () => {
    const read = (v: unknown) => readMembers({ redirect_uris: v }, { redirect_uris: redirectUris });
    assert.deepEqual(read(' https://a.example/cb ,https://b.example/cb,').values.redirect_uris, ['https://a.example/cb', 'https://b.example/cb']);
    assert.deepEqual(read(' , ').problems, [{ field: 'redirect_uris', message: 'must not be empty' }]);
    assert.deepEqual(read([1]).problems, [{ field: 'redirect_uris', message: 'must be an array of strings (or one comma-separated string)' }]);
  });

  it('checks the values of OIDC-only members for OIDC clients only', () => {
    const body = { id_token_signed_response_alg: 'none', subject_type: 'pairwise' };
    assert.deepEqual(readMembers(body, registrationMembers('oauth2')).problems, []);
    assert.deepEqual(
      readMembers(body, registrationMembers('oidc')).problems.map((p) => p.field),
      ['subject_type', 'id_token_signed_response_alg'],
    );
  });
});
