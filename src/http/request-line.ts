import { hostname } from 'node:os';
import type { RequestLine } from './context.js';
import { logSerializers } from './request-limits.js';

/** What pino puts first in every line at info level (level 30), so request lines read like the others. */
const BASE = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;

const field = (name: string, value: string | undefined) => (value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`);

/**
 * A request-log line as pino would write it at info level, built directly: its shape is fixed and
 * every field comes from an allow-list (logSerializers for the request), so neither the logger's
 * serializer loop nor its redaction pass has anything to do.
 */
export function requestLineJson(line: RequestLine): string {
  const req = logSerializers.req(line.req);
  return `{"level":30,"time":${Date.now()}${BASE},"reqId":${JSON.stringify(line.reqId)},"req":{${field('method', req.method).slice(1)}${field('url', req.url)}${field('remoteAddress', req.remoteAddress)}},"res":{"statusCode":${line.res.statusCode}},"responseTime":${line.responseTime}${field('client', line.client)},"outcome":${JSON.stringify(line.outcome)},"msg":"request completed"}\n`;
}
