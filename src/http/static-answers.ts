import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../core/metrics.js';

/** What a static document sends: its body and the headers of its Fastify route. */
export interface StaticDocument {
  body: string;
  /** Header names in lower case; content-length and the safe defaults are added here. */
  headers: Record<string, string>;
}

interface Prepared {
  body: string;
  buffer: Buffer;
  headers: string[];
}

/**
 * Documents that are the same for every caller (discovery, RFC 8414 metadata, the JWK Set) answered
 * straight from the HTTP server's request event, before Fastify's routing, hooks and reply
 * machinery: the bytes and headers are prepared once per version of the document.
 *
 * Only a plain `GET` of the exact path is answered here, and its request-log line written here too;
 * anything else — a query string, `HEAD`, `OPTIONS`, a document not yet loaded or due for a
 * re-read — goes to the Fastify route, which sends the same document. Each route registers the
 * same `document()` it serves itself.
 */
export class StaticAnswers {
  /** Path (which is also the route label in the metrics) → its document and its last prepared answer. */
  private readonly documents = new Map<string, { document: () => StaticDocument | null; last: Prepared | null }>();

  constructor(
    private readonly metrics: Metrics,
    /** The safe defaults every response carries (server.ts). */
    private readonly defaults: Record<string, string>,
    /** Writes the request-log line of an answered request (it decides whether the level logs it). */
    private readonly logAnswered: (req: IncomingMessage, route: string, ms: number) => void,
  ) {}

  /** `document()` returns null when the document cannot be given synchronously right now. */
  add(path: string, document: () => StaticDocument | null): void {
    this.documents.set(path, { document, last: null });
  }

  /** Answers the request and returns true, or returns false and leaves it untouched. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' || req.url === undefined) return false;
    const route = req.url;
    const entry = this.documents.get(route);
    if (!entry) return false;
    const started = performance.now();
    const doc = entry.document();
    if (doc === null) return false;
    let prepared = entry.last;
    if (prepared === null || prepared.body !== doc.body) {
      const buffer = Buffer.from(doc.body, 'utf8');
      const headers = { ...this.defaults, ...doc.headers, 'content-length': String(buffer.length) };
      prepared = { body: doc.body, buffer, headers: Object.entries(headers).flat() };
      entry.last = prepared;
    }
    res.writeHead(200, prepared.headers);
    res.end(prepared.buffer);
    this.metrics.requests.inc({ route, method: 'GET', status: '2xx', outcome: 'ok' });
    const ms = performance.now() - started;
    this.metrics.duration.observe({ route }, ms / 1000);
    this.logAnswered(req, route, ms);
    return true;
  }
}
