import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OAuth1Problem } from './problems.js';
import { collectParameters, looksSigned, parseAuthorizationHeader, type SignedRequest } from './request.js';

const base: SignedRequest = { method: 'GET', baseUri: 'http://example.com/r', query: '', authorization: undefined, formBody: null, secureTransport: false };
const header = (extra = '') =>
  `OAuth oauth_consumer_key="k", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_nonce="n", oauth_signature="s"${extra}`;

function problemOf(fn: () => unknown): OAuth1Problem {
  try {
    fn();
  } catch (err) {
    if (err instanceof OAuth1Problem) return err;
    throw err;
  }
  assert.fail('expected an OAuth1Problem');
}

test('header parsing: realm excluded, values decoded, scheme case-insensitive', () => {
  assert.deepEqual(parseAuthorizationHeader('oauth realm="x",a="b%20c" , d=""'), [
    ['a', 'b c'],
    ['d', ''],
  ]);
  assert.equal(parseAuthorizationHeader('Bearer abc'), null);
  assert.equal(parseAuthorizationHeader(undefined), null);
  assert.equal(problemOf(() => parseAuthorizationHeader('OAuth a=b')).problem, 'parameter_rejected');
  assert.equal(problemOf(() => parseAuthorizationHeader('OAuth a="%zz"')).status, 400);
});

test('duplicated protocol parameters are a 400 parameter_rejected', () => {
  const p = problemOf(() => collectParameters({ ...base, authorization: header(', oauth_nonce="m"') }));
  assert.equal(p.problem, 'parameter_rejected');
  assert.equal(p.status, 400);
  assert.deepEqual(p.details.oauth_parameters_rejected, ['oauth_nonce']);
  // The same parameter in the header and the query: two locations (§3.5 allows one).
  const q = problemOf(() => collectParameters({ ...base, authorization: header(), query: 'oauth_nonce=x' }));
  assert.equal(q.problem, 'parameter_rejected');
  // Repeated in the query.
  const r = problemOf(() =>
    collectParameters({
      ...base,
      query: 'oauth_consumer_key=k&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1&oauth_nonce=n&oauth_signature=s&oauth_token=a&oauth_token=b',
    }),
  );
  assert.deepEqual(r.details.oauth_parameters_rejected, ['oauth_token']);
});

test('missing parameters are listed in oauth_parameters_absent', () => {
  const p = problemOf(() => collectParameters({ ...base, authorization: 'OAuth oauth_consumer_key="k", oauth_signature_method="HMAC-SHA1"' }));
  assert.equal(p.problem, 'parameter_absent');
  assert.equal(p.status, 400);
  assert.deepEqual(p.details.oauth_parameters_absent, ['oauth_signature', 'oauth_timestamp', 'oauth_nonce']);
});

test('signature methods, versions, PLAINTEXT over plain http, timestamps', () => {
  assert.equal(problemOf(() => collectParameters({ ...base, authorization: header().replace('HMAC-SHA1', 'HMAC-MD5') })).problem, 'signature_method_rejected');
  assert.equal(problemOf(() => collectParameters({ ...base, authorization: header(', oauth_version="2.0"') })).problem, 'version_rejected');
  const plain = 'OAuth oauth_consumer_key="k", oauth_signature_method="PLAINTEXT", oauth_signature="a%26b"';
  const p = problemOf(() => collectParameters({ ...base, authorization: plain }));
  assert.equal(p.problem, 'signature_method_rejected');
  assert.equal(p.status, 400);
  // Over TLS PLAINTEXT is fine and needs neither timestamp nor nonce (§3.1).
  const ok = collectParameters({ ...base, authorization: plain, secureTransport: true });
  assert.equal(ok.signature, 'a&b');
  assert.equal(ok.timestamp, undefined);
  assert.equal(problemOf(() => collectParameters({ ...base, authorization: header().replace('"1"', '"-5"') })).problem, 'parameter_rejected');
});

test('form bodies and queries carry parameters; looksSigned spots them', () => {
  const body = 'x=1&oauth_consumer_key=k&oauth_signature_method=HMAC-SHA1&oauth_timestamp=2&oauth_nonce=n&oauth_signature=s%2B';
  const p = collectParameters({ ...base, method: 'POST', formBody: body, query: 'y=2' });
  assert.equal(p.signature, 's+');
  assert.equal(p.timestamp, 2);
  assert.deepEqual(p.pairs.map(([n]) => n).sort(), ['oauth_consumer_key', 'oauth_nonce', 'oauth_signature_method', 'oauth_timestamp', 'x', 'y']);
  assert.equal(looksSigned({ authorization: undefined, query: '', formBody: body }), true);
  assert.equal(looksSigned({ authorization: 'Basic abc', query: 'a=1', formBody: null }), false);
  assert.equal(looksSigned({ authorization: 'OAuth realm="x"', query: '', formBody: null }), true);
});
