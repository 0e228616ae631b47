import { type RawBuilder, sql } from 'kysely';
import { STORED_JSON_BOUNDS, scanJsonText } from '../../core/bounded-json.js';

/**
 * Parses a JSON column written by this code. A damaged value, one over STORED_JSON_BOUNDS (which
 * could not be serialized again: the serializer recurses on depth), or one of another kind than the
 * fallback (an array where a list belongs, an object where a record belongs) reads as the fallback
 * instead of crashing whatever shows it; `onUnreadable` hears of it.
 */
function parseJson<T>(text: string, fallback: T, onUnreadable?: () => void): T {
  let value: unknown;
  try {
    if (scanJsonText(text, STORED_JSON_BOUNDS) !== null) throw new RangeError('over the stored JSON bounds');
    value = JSON.parse(text);
  } catch {
    onUnreadable?.();
    return fallback;
  }
  if (!sameKind(value, fallback)) {
    onUnreadable?.();
    return fallback;
  }
  return value as T;
}

/** A stored JSON object (metadata, payloads, details); anything else reads as `{}`. */
export function parseRecord(text: string, onUnreadable?: () => void): Record<string, unknown> {
  return parseJson<Record<string, unknown>>(text, {}, onUnreadable);
}

/** A stored list of strings (URIs, grant types, scopes); anything else reads as empty. */
export function parseStringList(text: string, onUnreadable?: () => void): string[] {
  let odd = false;
  const list = parseJson<unknown[]>(text, [], () => {
    odd = true;
  });
  if (!odd && list.every((x) => typeof x === 'string')) return list as string[];
  onUnreadable?.();
  return [];
}

function sameKind(value: unknown, fallback: unknown): boolean {
  if (Array.isArray(fallback)) return Array.isArray(value);
  if (typeof fallback === 'object' && fallback !== null) return typeof value === 'object' && value !== null && !Array.isArray(value);
  return true;
}

export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { code?: unknown; message?: unknown };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e.code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/**
 * A LIKE pattern matching values that contain `search`, lower-cased (for the `*_lower` columns),
 * its `%`, `_` and backslash matching themselves.
 */
export function containing(search: string): RawBuilder<string> {
  const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  return sql<string>`${pattern} ESCAPE '\\'`;
}
