import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { logSerializers } from './request-limits.js';
import { requestLineJson } from './request-line.js';

/** The line pino writes for the same fields, as the request log wrote it through the logger. */
function viaPino(fields: Record<string, unknown>): Record<string, unknown> {
  let out = '';
  const sink = {
    write(s: string) {
      out += s;
    },
  };
  const log = pino({ level: 'info', serializers: logSerializers }, sink);
  const { reqId, ...rest } = fields;
  log.child({ reqId }).info(rest, 'request completed');
  return JSON.parse(out) as Record<string, unknown>;
}

describe('requestLineJson', () => {
  const cases: Array<[string, Parameters<typeof requestLineJson>[0]]> = [
    ['a document', { reqId: 'ab-1', req: { method: 'GET', url: '/jwks.json', ip: '127.0.0.1' }, res: { statusCode: 200 }, responseTime: 0.1, outcome: 'ok' }],
    [
      'a refused token request with its client and a redacted query',
      {
        reqId: 'ab-2',
        req: { method: 'POST', url: '/api/oauth2/token?code=secret-code&client_id=c"1', ip: '::1' },
        res: { statusCode: 400 },
        responseTime: 12.5,
        client: 'client-\u00e9"\\',
        outcome: 'invalid_grant',
      },
    ],
    ['no address', { reqId: 'ab-3', req: { method: 'GET', url: '/' }, res: { statusCode: 404 }, responseTime: 0, outcome: 'not_found' }],
  ];
  for (const [name, line] of cases) {
    it(`writes what pino writes: ${name}`, () => {
      const text = requestLineJson(line);
      assert.ok(text.endsWith('}\n'), 'one line');
      const own = JSON.parse(text) as Record<string, unknown>;
      const expected = viaPino(line as unknown as Record<string, unknown>);
      assert.equal(typeof own.time, 'number');
      assert.deepEqual(Object.keys(own), Object.keys(expected), 'the same fields in the same order');
      assert.deepEqual({ ...own, time: 0 }, { ...expected, time: 0 });
      assert.doesNotMatch(text, /secret-code/);
    });
  }
});
