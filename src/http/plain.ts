import type { FastifyReply, FastifyRequest } from 'fastify';
import { countParameters, LIMITS, TooManyParameters } from './request-limits.js';

/** A framework-free request, as the protocol core sees it. */
export interface PlainRequest {
  method: string;
  /** Path and query, as received. */
  url: string;
  headers: Record<string, string | undefined>;
  query: Record<string, string | string[]>;
  /** Form or JSON body fields (form values may repeat). */
  body: Record<string, string | string[]>;
  /** The raw form body, when there was one (OAuth 1.0a signs it). */
  rawBody: string | null;
  remoteAddress: string;
}

/** A framework-free response. */
export interface PlainResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

function flatten(value: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return out;
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[k] = v as string[];
  }
  return out;
}

export function toPlainRequest(req: FastifyRequest): PlainRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return {
    method: req.method,
    url: req.url,
    headers,
    query: flatten(req.query),
    body: flatten(req.body),
    rawBody: req.rawBody ?? null,
    remoteAddress: req.ip,
  };
}

export function sendPlain(reply: FastifyReply, res: PlainResponse): FastifyReply {
  reply.code(res.status);
  for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
  if (res.body === undefined) return reply.send();
  return reply.send(res.body);
}

/** Parses application/x-www-form-urlencoded, keeping repeated names as arrays. */
export function parseForm(text: string): Record<string, string | string[]> {
  if (countParameters(text) > LIMITS.parameters) throw new TooManyParameters();
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** The single value of a parameter; undefined when absent; 'repeated' when sent more than once. */
export function single(params: Record<string, string | string[]>, name: string): string | undefined | { repeated: true } {
  const v = params[name];
  if (Array.isArray(v)) return { repeated: true };
  return v;
}
