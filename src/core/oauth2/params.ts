import { InvalidRequest, InvalidScope } from './errors.js';

/** Request parameters as parsed at the edge: form and query values may repeat. */
export type RawParams = Record<string, string | string[] | undefined>;

/** Parameters that may repeat: RFC 8707 §2 `resource`. */
export const REPEATABLE_PARAMS: ReadonlySet<string> = new Set(['resource']);

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

  /** Every non-empty value of a parameter that may repeat (RFC 8707 §2 `resource`). */
  all(name: string, maxLength = MAX_PARAM_LENGTH): string[] {
    const v = this.raw[name];
    const values = (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((x) => x !== '');
    for (const x of values) if (x.length > maxLength) throw new InvalidRequest(`the parameter ${name} is longer than ${maxLength} characters`);
    return values;
  }

  has(name: string): boolean {
    const v = this.raw[name];
    return v !== undefined && v !== '';
  }

  /** Rejects any repeated or oversized parameter, including ones no check reads (RFC 6749 §3.1, §3.2). */
  rejectRepeated(): void {
    for (const [name, v] of Object.entries(this.raw)) {
      if (REPEATABLE_PARAMS.has(name)) continue;
      if (Array.isArray(v)) throw new InvalidRequest(`the parameter ${name.slice(0, 60)} was sent more than once`);
      if (v !== undefined && v.length > MAX_PARAM_LENGTH)
        throw new InvalidRequest(`the parameter ${name.slice(0, 60)} is longer than ${MAX_PARAM_LENGTH} characters`);
    }
  }

  /** Every parameter, repeated ones as arrays. */
  toRaw(): RawParams {
    const out: RawParams = {};
    for (const [k, v] of Object.entries(this.raw)) if (v !== undefined) out[k] = Array.isArray(v) ? [...v] : v;
    return out;
  }

  /** The parameters sent more than once (only REPEATABLE_PARAMS pass the checks), for re-posting beside toRecord. */
  repeated(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(this.raw)) if (Array.isArray(v)) out[k] = [...v];
    return out;
  }

  /** Every single-valued parameter as a plain record. */
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
