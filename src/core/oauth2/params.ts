import { InvalidRequest, InvalidScope } from './errors.js';

/** Request parameters as parsed at the edge: form and query values may repeat. */
export type RawParams = Record<string, string | string[] | undefined>;

/** Longest value accepted for any parameter; longer ones are refused, never truncated. */
export const MAX_PARAM_LENGTH = 4096;

/**
 * Typed access to one request's parameters. RFC 6749 §3.1, §3.2: parameters must not be
 * included more than once; an empty value counts as absent.
 */
export class Params {
  constructor(private readonly raw: RawParams) {}

  /** The single value of `name`, or undefined when absent or empty. */
  optional(name: string, maxLength = MAX_PARAM_LENGTH): string | undefined {
    const v = this.raw[name];
    if (Array.isArray(v)) throw new InvalidRequest(`the parameter ${name} was sent more than once`);
    if (v === undefined || v === '') return undefined;
    if (v.length > maxLength) throw new InvalidRequest(`the parameter ${name} is longer than ${maxLength} characters`);
    return v;
  }

  required(name: string, maxLength = MAX_PARAM_LENGTH): string {
    const v = this.optional(name, maxLength);
    if (v === undefined) throw new InvalidRequest(`the parameter ${name} is missing`);
    return v;
  }

  has(name: string): boolean {
    const v = this.raw[name];
    return v !== undefined && v !== '';
  }

  /** Rejects any repeated or oversized parameter, including ones no check reads (RFC 6749 §3.1, §3.2). */
  rejectRepeated(): void {
    for (const [name, v] of Object.entries(this.raw)) {
      if (Array.isArray(v)) throw new InvalidRequest(`the parameter ${name.slice(0, 60)} was sent more than once`);
      if (v !== undefined && v.length > MAX_PARAM_LENGTH)
        throw new InvalidRequest(`the parameter ${name.slice(0, 60)} is longer than ${MAX_PARAM_LENGTH} characters`);
    }
  }

  /** Every single-valued parameter as a plain record (for re-posting a request through a form). */
  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.raw)) if (typeof v === 'string') out[k] = v;
    return out;
  }
}

/** RFC 6749 §3.3: scope is a space-delimited list of case-sensitive tokens (NQCHAR). */
export function parseScope(value: string | undefined): string[] {
  if (value === undefined) return [];
  const tokens = value.split(' ').filter((t) => t !== '');
  for (const t of tokens) {
    if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(t)) throw new InvalidScope('the scope parameter contains characters outside RFC 6749 §3.3');
  }
  return [...new Set(tokens)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}
