import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram, Metrics } from './metrics.js';

describe('metrics exposition', () => {
  it('renders counters with escaped, sorted labels', () => {
    const c = new Counter('x_total', 'X.');
    c.inc({ route: '/a"b', method: 'GET' });
    c.inc({ method: 'GET', route: '/a"b' }, 2);
    assert.equal(c.get({ route: '/a"b', method: 'GET' }), 3);
    assert.match(c.render(), /^x_total\{method="GET",route="\/a\\"b"\} 3$/m);
  });

  it('renders cumulative histogram buckets, sum and count', () => {
    const h = new Histogram('d_seconds', 'D.', [0.1, 1]);
    h.observe({ r: 'a' }, 0.05);
    h.observe({ r: 'a' }, 0.5);
    h.observe({ r: 'a' }, 5);
    const text = h.render();
    assert.match(text, /d_seconds_bucket\{r="a",le="0.1"\} 1/);
    assert.match(text, /d_seconds_bucket\{r="a",le="1"\} 2/);
    assert.match(text, /d_seconds_bucket\{r="a",le="\+Inf"\} 3/);
    assert.match(text, /d_seconds_count\{r="a"\} 3/);
  });

  it('renders every family with HELP and TYPE', () => {
    const text = new Metrics().render(['# TYPE extra gauge', 'extra 1']);
    for (const name of ['latchkey_http_requests_total', 'latchkey_tokens_issued_total', 'latchkey_signin_failures_total']) {
      assert.match(text, new RegExp(`# TYPE ${name} counter`));
    }
    assert.match(text, /^extra 1$/m);
  });
});
