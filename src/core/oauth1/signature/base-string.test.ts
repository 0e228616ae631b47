import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectParameters } from '../request.js';
import { baseStringUri, normalizeParameters, percentDecode, percentEncode, signatureBaseString } from './base-string.js';
import { hmacSignature } from './hmac.js';
import { plaintextSignature } from './plaintext.js';

// RFC 5849 §3.4.1.1, the request of §3.1 ("c2&a3=2+q" is its form body).
const RFC_BASE_STRING =
  'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q' +
  '%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_' +
  'key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m' +
  'ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk' +
  '9d7dh3k39sjv7';

const RFC_HEADER =
  'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", ' +
  'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", ' +
  'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"';

test('RFC 5849 §3.4.1: the exact signature base string, from the raw request', () => {
  const params = collectParameters({
    method: 'POST',
    baseUri: 'http://example.com/request',
    query: 'b5=%3D%253D&a3=a&c%40=&a2=r%20b',
    authorization: RFC_HEADER,
    formBody: 'c2&a3=2+q',
    secureTransport: false,
  });
  assert.equal(signatureBaseString('POST', 'http://example.com/request', params.pairs), RFC_BASE_STRING);
  // §3.4.1.3.2: the normalized parameter string printed in the RFC.
  assert.equal(
    normalizeParameters(params.pairs),
    'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a' +
      '&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
  );
  assert.equal(params.signature, 'bYT5CMsGcbgUdFHObYMEfcx6bsw=');
});

test('RFC 5849 §3.1/§3.4.2: HMAC-SHA1 of the example with the client and token secrets of §3.1', () => {
  // The value printed in §3.1 ("bYT5CMsGcbgUdFHObYMEfcx6bsw=") is wrong: verified erratum 2550
  // gives r6/TJjbCOr97/+UU0NsvSne7s5g= for this base string and these secrets.
  assert.equal(hmacSignature('sha1', RFC_BASE_STRING, 'j49sk3j29djd', 'dh893hdasih9'), 'r6/TJjbCOr97/+UU0NsvSne7s5g=');
});

test('RFC 5849 §1.2: the three signed requests of the photo-printing example', () => {
  // Temporary credential request, over HTTPS.
  const initiate = signatureBaseString('POST', 'https://photos.example.net/initiate', [
    ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131200'],
    ['oauth_nonce', 'wIjqoS'],
    ['oauth_callback', 'http://printer.example.com/ready'],
  ]);
  assert.equal(
    initiate,
    'POST&https%3A%2F%2Fphotos.example.net%2Finitiate&oauth_callback%3Dhttp%253A%252F%252Fprinter.example.com%252Fready' +
      '%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DwIjqoS%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131200',
  );
  assert.equal(hmacSignature('sha1', initiate, 'kd94hf93k423kf44', ''), '74KNZJeDHnMBp0EMJ9ZHt/XKycU=');

  // Token request with the temporary credentials and the verifier, over HTTPS.
  const token = signatureBaseString('POST', 'https://photos.example.net/token', [
    ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
    ['oauth_token', 'hh5s93j4hdidpola'],
    ['oauth_signature_method', 'HMAC-SHA1'],
    ['oauth_timestamp', '137131201'],
    ['oauth_nonce', 'walatlh'],
    ['oauth_verifier', 'hfdp7dh39dks9884'],
  ]);
  assert.equal(hmacSignature('sha1', token, 'kd94hf93k423kf44', 'hdhd0244k9j7ao03'), 'gKgrFCywp7rO0OXSjdot/IHF7IU=');

  // Protected resource, over plain HTTP, parsed from the raw header and query.
  const params = collectParameters({
    method: 'GET',
    baseUri: 'http://photos.example.net/photos',
    query: 'file=vacation.jpg&size=original',
    authorization:
      'OAuth realm="Photos", oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature_method="HMAC-SHA1", ' +
      'oauth_timestamp="137131202", oauth_nonce="chapoH", oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"',
    formBody: null,
    secureTransport: false,
  });
  const resource = signatureBaseString('GET', 'http://photos.example.net/photos', params.pairs);
  assert.equal(
    resource,
    'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3DchapoH' +
      '%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal',
  );
  assert.equal(hmacSignature('sha1', resource, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00'), params.signature);
  assert.equal(params.signature, 'MdpQcU8iPSUjWoN/UDMsK2sui9I=');
});

test('RFC 5849 §2.1 and §2.3: PLAINTEXT signatures of the examples', () => {
  assert.equal(plaintextSignature('ja893SD9', ''), 'ja893SD9&');
  assert.equal(plaintextSignature('ja893SD9', 'xyz4992k83j47x0b'), 'ja893SD9&xyz4992k83j47x0b');
  assert.equal(plaintextSignature('a&b c', '%'), 'a%26b%20c&%25');
});

test('RFC 5849 §3.4.1.2: base string URIs', () => {
  assert.equal(baseStringUri('http://EXAMPLE.COM:80/r%20v/X?id=123'), 'http://example.com/r%20v/X');
  assert.equal(baseStringUri('https://www.example.net:8080/?q=1'), 'https://www.example.net:8080/');
  assert.equal(baseStringUri('HTTPS://Example.com:443'), 'https://example.com/');
  assert.equal(baseStringUri('http://127.0.0.1:8080/api/me#frag'), 'http://127.0.0.1:8080/api/me');
  assert.equal(baseStringUri('ftp://example.com/'), undefined);
  assert.equal(baseStringUri('/relative'), undefined);
});

test('RFC 5849 §3.6: percent-encoding', () => {
  assert.equal(percentEncode('abcABC123-._~'), 'abcABC123-._~');
  assert.equal(percentEncode("!*'() +/=&%"), '%21%2A%27%28%29%20%2B%2F%3D%26%25');
  assert.equal(percentEncode('é☃'), '%C3%A9%E2%98%83');
  assert.equal(percentDecode('%C3%A9+%2B'), 'é++');
  assert.equal(percentDecode('bad%2'), undefined);
  assert.equal(percentDecode('bad%zz'), undefined);
});

test('§3.4.1.3.2: repeated names are sorted by value', () => {
  assert.equal(
    normalizeParameters([
      ['b', '2'],
      ['a', 'z'],
      ['a', '1'],
      ['a', 'Z'],
    ]),
    'a=1&a=Z&a=z&b=2',
  );
});

test('§3.6 percent-encoding of every ASCII character and a lone surrogate', () => {
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    const expected = /[A-Za-z0-9._~-]/.test(ch) ? ch : `%${c.toString(16).toUpperCase().padStart(2, '0')}`;
    assert.equal(percentEncode(ch), expected);
  }
  assert.equal(percentEncode('a\uD800b'), 'a%EF%BF%BDb');
});
