import type { Client } from './client.js';

/** RFC 8707: the client setting naming the resources its access tokens may be for. */
export const RESOURCES_METADATA = 'resources';
export const MAX_RESOURCES = 20;
export const MAX_RESOURCE_LENGTH = 2000;

/**
 * RFC 8707 §2: a resource indicator is an absolute URI (RFC 3986 §4.3) without a fragment. Returns
 * why a value is not one, or null.
 */
export function resourceUriProblem(value: string): string | null {
  if (value.length > MAX_RESOURCE_LENGTH) return `is longer than ${MAX_RESOURCE_LENGTH} characters`;
  if (value.includes('#')) return 'must not contain a fragment (RFC 8707 §2)';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters and spaces is the point
  if (/[\u0000-\u0020\u007f]/.test(value)) return 'must not contain spaces or control characters';
  // RFC 3986 §3.1: an absolute URI starts with a scheme.
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return 'is not an absolute URI (RFC 8707 §2)';
  try {
    new URL(value);
  } catch {
    return 'is not an absolute URI (RFC 8707 §2)';
  }
  return null;
}

/** Problems of a `resources` setting: at most MAX_RESOURCES absolute URIs without fragment, no duplicates. */
export function checkResources(resources: readonly string[], field = RESOURCES_METADATA): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (resources.length > MAX_RESOURCES) problems.push({ field, message: `at most ${MAX_RESOURCES} resources` });
  for (const r of resources) {
    const problem = resourceUriProblem(r);
    if (problem) problems.push({ field, message: `"${r.length > 120 ? `${r.slice(0, 120)}…` : r}" ${problem}` });
  }
  if (new Set(resources).size !== resources.length) problems.push({ field, message: 'contains duplicates' });
  return problems;
}

/** The resources a client may ask tokens for (RFC 8707); values that are not resource indicators are ignored. */
export function clientResources(client: Pick<Client, 'metadata'>): string[] {
  const v = client.metadata[RESOURCES_METADATA];
  if (!Array.isArray(v)) return [];
  return v.filter((r): r is string => typeof r === 'string' && resourceUriProblem(r) === null);
}
