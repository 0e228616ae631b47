import { AdminError } from '../../admin/errors.js';
import { CONSUMER_KEY_LIMIT, consumerKeyRequestSchema, toClientInput } from '../../core/oslc/consumer-key.js';
import { OSLC_PATHS, renderRootServices } from '../../core/oslc/rootservices.js';
import type { HttpModule } from '../context.js';

/**
 * The OSLC consumer-key handshake: the root services document naming the OAuth 1.0a URLs, and
 * the unauthenticated consumer-key request, which creates a pending consumer that only an
 * administrator's approval makes usable.
 */
export const registerOslc: HttpModule = (server, ctx) => {
  const { app } = ctx;

  server.get(OSLC_PATHS.rootServices, async (_req, reply) => {
    const body = renderRootServices({ issuer: app.config.issuer, realm: app.oauth1.deps.realm, title: 'Latchkey' });
    return reply.type('application/rdf+xml; charset=utf-8').header('cache-control', 'public, max-age=300').send(body);
  });

  server.post(OSLC_PATHS.requestConsumerKey, { bodyLimit: 16 * 1024 }, async (req, reply) => {
    // Counted before anything else, failures included: the endpoint needs no credentials.
    const hits = await app.stores.throttle.hit(`oslc-consumer-key:${req.ip}`, app.clock.now(), CONSUMER_KEY_LIMIT.windowMs);
    if (hits > app.config.consumerKeyRateLimit) {
      return reply
        .code(429)
        .header('retry-after', String(CONSUMER_KEY_LIMIT.windowMs / 1000))
        .send({ error: 'too_many_requests', message: 'too many consumer-key requests from this address; try again later' });
    }
    const type = (req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('application/json')) {
      return reply.code(415).send({ error: 'invalid_request', message: 'send JSON: {"name": …, "secret": …, "trusted"?: …}' });
    }
    const parsed = consumerKeyRequestSchema.safeParse(req.body);
    if (!parsed.success) {
      throw AdminError.invalid(parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })));
    }
    // ClientAdmin audits the creation, with "oslc" and the source address as the actor.
    const { client } = await app.clientAdmin.create(toClientInput(parsed.data), { name: 'oslc', source: req.ip }, 'oslc');
    return reply.header('cache-control', 'no-store').send({ key: client.key });
  });
};
