// The ceiling of the machine: a bare Fastify server answering each scenario's request on the same
// path, parsing the same form body, and returning a JSON body of the same size as Latchkey's —
// with no OAuth work at all. Latchkey ÷ ceiling is the share of the machine's HTTP capacity left
// after Latchkey's real work.
import Fastify from 'fastify';

export interface CeilingRoute {
  method: 'GET' | 'POST';
  path: string;
  /** Tells scenarios on one path apart: the grant_type of the form body… */
  grantType?: string;
  /** …or the scheme of the Authorization header (bearer, oauth). */
  authScheme?: string;
  /** Size in bytes of the JSON body to answer. */
  size: number;
}

/** A JSON object of exactly `size` bytes (at least 12). */
export function paddedJson(size: number): string {
  const shell = '{"pad":""}';
  return `{"pad":"${'x'.repeat(Math.max(0, size - shell.length))}"}`;
}

function formBody(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_PORT);
  const routes = JSON.parse(process.env.BENCH_CEILING_ROUTES ?? '[]') as CeilingRoute[];
  const server = Fastify({ logger: false });
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, formBody(typeof body === 'string' ? body : body.toString('utf8')));
  });
  const byPath = new Map<string, Array<CeilingRoute & { json: string }>>();
  for (const r of routes) {
    const key = `${r.method} ${r.path}`;
    byPath.set(key, [...(byPath.get(key) ?? []), { ...r, json: paddedJson(r.size) }]);
  }
  for (const [key, candidates] of byPath) {
    const [method, path] = key.split(' ') as ['GET' | 'POST', string];
    server.route({
      method,
      url: path,
      handler: async (req, reply) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const scheme = (req.headers.authorization ?? '').split(' ')[0]?.toLowerCase();
        const match =
          candidates.find((c) => (c.grantType === undefined || c.grantType === body.grant_type) && (c.authScheme === undefined || c.authScheme === scheme)) ??
          candidates[0];
        return reply.code(200).header('content-type', 'application/json; charset=utf-8').header('cache-control', 'no-store').send(match?.json);
      },
    });
  }
  await server.listen({ port, host: '127.0.0.1' });
  process.stdout.write(`ceiling listening on http://127.0.0.1:${port}\n`);
  const stop = () => process.exit(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.env.BENCH_PORT) void main();
