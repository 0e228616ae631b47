import { z } from 'zod';

/**
 * The OSLC consumer-key request: `{"name": …, "secret": …, "trusted"?: …}` POSTed to
 * jfs:oauthRequestConsumerKeyUrl. Creates an OAuth 1.0a consumer in status pending.
 */
export const consumerKeyRequestSchema = z
  .object({
    name: z.string().max(1000),
    secret: z.string().max(1000),
    trusted: z.boolean().optional(),
  })
  .strict();

export type ConsumerKeyRequest = z.infer<typeof consumerKeyRequestSchema>;

/**
 * The client-admin input for a consumer-key request. "trusted" (Jazz: skip the user's approval
 * among friend servers) is recorded as a request only: an administrator decides, Latchkey never
 * skips the user's consent on its own.
 */
export function toClientInput(r: ConsumerKeyRequest): Record<string, unknown> {
  return { type: 'oauth1', name: r.name, secret: r.secret, metadata: { oslc: { trusted_requested: r.trusted === true } } };
}

/** Requests accepted per source address and window. */
export const CONSUMER_KEY_LIMIT = { hits: 10, windowMs: 60 * 60_000 } as const;
