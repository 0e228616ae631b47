/**
 * Bounds on JSON documents: nesting depth, members (object keys plus array elements) and, for
 * stored values, serialized size. A value nested thousands of levels deep parses fine but cannot
 * be serialized again (the serializer recurses), so it must never be accepted or stored. Both
 * checks below are iterative: they never recurse on the document's depth.
 */
export interface JsonBounds {
  /** Containers nested in one another; a top-level object or array is depth 1. */
  depth: number;
  /** Object keys plus array elements, counted over the whole document. */
  members: number;
  /** UTF-8 size of the serialized document. */
  bytes?: number;
}

/** JSON request bodies, checked at the HTTP edge before they are parsed. */
export const JSON_BODY_BOUNDS: JsonBounds = { depth: 32, members: 1000 };

/** Client metadata, checked before it is stored (admin API, CLI, registration, OSLC). */
export const METADATA_BOUNDS: JsonBounds = { depth: 16, members: 500, bytes: 48 * 1024 };

/** What a stored JSON column may hold to be read back; anything beyond reads as unreadable. */
export const STORED_JSON_BOUNDS: JsonBounds = { depth: 32, members: 10_000, bytes: 1024 * 1024 };

export interface JsonBoundsProblem {
  kind: 'depth' | 'members' | 'bytes';
  limit: number;
}

/** A safe description of a problem, e.g. "the JSON body is nested more than 32 levels deep". */
export function describeJsonProblem(p: JsonBoundsProblem, what = 'the JSON body'): string {
  if (p.kind === 'depth') return `${what} is nested more than ${p.limit} levels deep`;
  if (p.kind === 'members') return `${what} has more than ${p.limit} keys and array elements`;
  return `${what} is larger than ${p.limit >= 1024 ? `${p.limit / 1024} KiB` : `${p.limit} bytes`}`;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/**
 * Checks JSON text against the bounds without parsing it, in one pass that stops at the first
 * bound crossed. Syntax is not checked here (the parser does that afterwards); for valid JSON the
 * counts are exact.
 */
export function scanJsonText(text: string, bounds: JsonBounds): JsonBoundsProblem | null {
  if (bounds.bytes !== undefined && text.length > bounds.bytes / 3 && utf8Length(text) > bounds.bytes) {
    return { kind: 'bytes', limit: bounds.bytes };
  }
  let depth = 0;
  let members = 0;
  let inString = false;
  // Just after `{` or `[`: the next value or key (if any) is the container's first member.
  let first = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
      continue;
    }
    if (c === SPACE || c === TAB || c === LF || c === CR) continue;
    if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
      first = false;
      continue;
    }
    if (c === COMMA) {
      if (++members > bounds.members) return { kind: 'members', limit: bounds.members };
      continue;
    }
    if (first) {
      first = false;
      if (++members > bounds.members) return { kind: 'members', limit: bounds.members };
    }
    if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > bounds.depth) return { kind: 'depth', limit: bounds.depth };
      first = true;
    }
  }
  return null;
}

/** Checks a parsed value against the bounds, iteratively; the size is measured only once depth is known safe. */
export function jsonValueProblem(value: unknown, bounds: JsonBounds): JsonBoundsProblem | null {
  const stack: Array<{ v: object; depth: number }> = [];
  if (typeof value === 'object' && value !== null) stack.push({ v: value, depth: 1 });
  let members = 0;
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    if (top.depth > bounds.depth) return { kind: 'depth', limit: bounds.depth };
    const children: unknown[] = Array.isArray(top.v) ? top.v : Object.values(top.v);
    members += children.length;
    if (members > bounds.members) return { kind: 'members', limit: bounds.members };
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push({ v: child, depth: top.depth + 1 });
  }
  if (bounds.bytes !== undefined && value !== undefined && utf8Length(JSON.stringify(value) ?? '') > bounds.bytes) {
    return { kind: 'bytes', limit: bounds.bytes };
  }
  return null;
}

/** Bytes of a string in UTF-8 (RFC 3629 §3), counted without a runtime's buffer type; a lone surrogate counts as U+FFFD (3). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
