// The console validates redirect URIs as they are typed with a copy of the server's rule
// (assets/console/redirect-uri.js). Both must agree, or the form would accept what Save refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { redirectUriProblem } from '../../src/core/clients/redirect-uri.js';

interface BrowserRule {
  redirectUriProblem(value: string): string | null;
  redirectUriLines(text: string): Array<{ line: number; uri: string; message: string }>;
}

const browserRule = (await import(new URL('../../assets/console/redirect-uri.js', import.meta.url).href)) as BrowserRule;

const SAMPLES = [
  'https://app.example.com/cb',
  'https://app.example.com:8443/cb?x=1',
  'https://',
  'https:///path',
  'http://localhost/cb',
  'http://localhost:3000/cb',
  'http://127.0.0.1:8080/cb',
  'http://127.1.2.3/cb',
  'http://[::1]:9000/cb',
  'http://example.com/cb',
  'http://192.168.1.1/cb',
  'https://app.example.com/cb#frag',
  'https://app.example.com/cb#',
  'javascript:alert(1)',
  'data:text/html,hi',
  'file:///etc/passwd',
  'vbscript:x',
  'about:blank',
  'blob:https://a/b',
  'com.example.app:/oauth2redirect',
  'com.example.app://callback',
  'myapp:/cb',
  'ftp://example.com/cb',
  '/relative/cb',
  'app.example.com/cb',
  '',
  ' https://space.example.com/cb',
  `https://long.example.com/${'a'.repeat(2000)}`,
  'https://exa mple.com/cb',
  'HTTPS://APP.EXAMPLE.COM/CB',
  'http://LOCALHOST/cb',
  'urn:ietf:wg:oauth:2.0:oob',
];

describe('redirect URI rule in the browser', () => {
  it('agrees with the server on every sample', () => {
    for (const uri of SAMPLES) assert.equal(browserRule.redirectUriProblem(uri), redirectUriProblem(uri), uri);
  });

  it('reports problems per line, ignoring blank lines and flagging repeats', () => {
    const text = 'https://a.example/cb\n\nhttp://b.example/cb\n  https://a.example/cb  \njavascript:alert(1)';
    assert.deepEqual(
      browserRule.redirectUriLines(text).map((p) => [p.line, p.message]),
      [
        [3, 'uses http on a host that is not loopback (use https)'],
        [4, 'repeats line 1'],
        [5, 'uses the forbidden scheme javascript:'],
      ],
    );
  });
});
