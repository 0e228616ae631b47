import { connect } from 'node:net';

/**
 * A deliberately dumb HTTP/1.1 client over a plain socket: it sends exactly the bytes it is given
 * (invalid UTF-8, CR/LF inside header values, duplicated or oversized headers, bodies that do not
 * match their Content-Type), which fetch and node:http refuse to produce. Loopback only.
 */
export interface RawRequest {
  method: string;
  /** Request target as sent: path and query, unvalidated. */
  target: string;
  /** Header lines in order; names and values are written as given (a value may contain CR/LF). */
  headers: Array<[string, string | Buffer]>;
  body?: Buffer | string;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** Repeated headers, lower-cased names (Set-Cookie). */
  headerList: Array<[string, string]>;
  body: Buffer;
  text: string;
  /** Milliseconds from the first byte sent to the end of the response. */
  elapsed: number;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function encodeRequest(host: string, req: RawRequest): Buffer {
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const parts: Buffer[] = [Buffer.from(`${req.method} ${req.target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n`, 'latin1')];
  for (const [name, value] of req.headers) {
    parts.push(Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'), Buffer.from('\r\n'));
  }
  if (body !== undefined && !req.headers.some(([n]) => /^(content-length|transfer-encoding)$/i.test(n))) {
    parts.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
  }
  parts.push(Buffer.from('\r\n'));
  if (body !== undefined) parts.push(body);
  return Buffer.concat(parts);
}

function decodeChunked(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', pos);
    if (eol < 0) break;
    const size = Number.parseInt(data.subarray(pos, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

export function parseResponse(received: Buffer, elapsed: number): RawResponse {
  let data = received;
  // Interim answers (100 Continue) come before the final one.
  while (/^HTTP\/1\.[01] 1\d\d /.test(data.subarray(0, 16).toString('latin1')) && data.indexOf('\r\n\r\n') >= 0) {
    data = data.subarray(data.indexOf('\r\n\r\n') + 4);
  }
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response head (${data.length} bytes): ${JSON.stringify(data.subarray(0, 200).toString('latin1'))}`);
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? Number.NaN);
  const headers: Record<string, string> = {};
  const headerList: Array<[string, string]> = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headerList.push([name, value]);
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = data.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = decodeChunked(body);
  return { status, headers, headerList, body, text: body.toString('utf8'), elapsed };
}

/** Sends one request on a fresh connection and reads the response until the server closes it. */
export function rawRequest(baseUrl: string, req: RawRequest, timeoutMs = 10_000): Promise<RawResponse> {
  const url = new URL(baseUrl);
  if (!LOOPBACK.test(url.hostname)) throw new Error('raw requests go to loopback addresses only');
  const bytes = encodeRequest(url.host, req);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms to ${req.method} ${req.target.slice(0, 100)}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    // The server may answer (413, 431) and close before the whole request was written.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') {
        clearTimeout(timer);
        reject(err);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const data = Buffer.concat(chunks);
      try {
        resolve(parseResponse(data, performance.now() - started));
      } catch (err) {
        reject(err);
      }
    });
    // No half-close: like a browser, the client keeps its side open and lets the server close.
    socket.write(bytes);
  });
}
