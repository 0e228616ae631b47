import { z } from 'zod';
import { webUriProblem } from '../clients/redirect-uri.js';
import { MAX_RESOURCE_LENGTH, MAX_RESOURCES } from '../clients/resources.js';
import { CLIENT_SETTINGS_RULES, type FieldProblem, truncate } from '../clients/settings.js';
import { CLIENT_AUTH_METHODS } from '../oauth2/client-auth/types.js';
import { ID_TOKEN_ALGS } from '../oidc/algorithms.js';
import { SIGNING_ALGS } from '../tokens/signing-keys.js';
import { zodProblems } from '../validation.js';

// The value of each RFC 7591 / OIDC Registration member, as zod schemas. Each member is parsed on
// its own, so that one bad member does not hide the others: every problem is reported at once.

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** RFC 7592 §2.2: null and absent mean the same. */
function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined);
}

/** A check whose first problem (if any) is the member's problem. */
function firstProblem<T>(problem: (value: T) => string | null) {
  return (value: T, ctx: z.RefinementCtx) => {
    const message = problem(value);
    if (message !== null) ctx.addIssue({ code: 'custom', message, abort: true });
  };
}

function textProblem(max: number) {
  return (v: string): string | null => {
    if (v.length > max) return `must be at most ${max} characters`;
    if (CONTROL.test(v)) return 'must not contain control characters';
    return null;
  };
}

const string = (max: number) => z.string({ error: 'must be a string' }).superRefine(firstProblem(textProblem(max)));

/** A string of at most `max` characters, without control characters. */
export const text = (max: number) => optional(string(max));

/** A string that must be one of `values`; `refusal` says so for another one. */
function oneOf<const T extends readonly [string, ...string[]]>(max: number, values: T, refusal: (v: string) => string) {
  return optional(string(max).pipe(z.enum(values, { error: (issue) => refusal(String(issue.input)) })));
}

export const flag = optional(z.boolean({ error: 'must be true or false' }));

const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** An array of non-empty strings, bounded in count and length. */
export function textList(maxItems: number, maxLength: number) {
  return optional(
    z.custom<string[]>(isStringArray, { error: 'must be an array of strings' }).superRefine(
      firstProblem((items) => {
        if (items.length > maxItems) return `must have at most ${maxItems} entries`;
        for (const item of items) {
          if (item.length > maxLength) return `entries must be at most ${maxLength} characters`;
          if (item.trim() === '') return 'entries must not be empty';
          if (CONTROL.test(item)) return 'entries must not contain control characters';
        }
        return null;
      }),
    ),
  );
}

/** A URI shown to people or fetched by the server (webUriProblem). */
export const webUri = optional(
  string(2000).superRefine(
    firstProblem((v) => {
      const problem = webUriProblem(v);
      return problem === null ? null : `"${truncate(v)}" ${problem}`;
    }),
  ),
);

/** redirect_uris: an array, or the modelled server's single comma-separated string; entries trimmed. */
export const redirectUris = optional(
  z.union([z.string(), z.array(z.string())], { error: 'must be an array of strings (or one comma-separated string)' }).transform((v, ctx) => {
    const uris =
      typeof v === 'string'
        ? v
            .split(',')
            .map((u) => u.trim())
            .filter((u) => u !== '')
        : v.map((u) => u.trim());
    if (typeof v === 'string' && uris.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
    else if (uris.some((u) => u === '')) ctx.addIssue({ code: 'custom', message: 'entries must not be empty' });
    return uris;
  }),
);

const supported = (values: readonly string[], max: number) => (v: string) => `"${truncate(v, max)}" is not supported (supported: ${values.join(', ')})`;

/**
 * The members a registrant sets, with the value each may hold (RFC 7591 §2, OIDC Registration §2).
 * Members that only OpenID Connect clients have are type-checked for every client, and their values
 * only for OIDC clients (others are told the member does not apply to them).
 */
export function registrationMembers(type: 'oauth2' | 'oidc') {
  const oidc = type === 'oidc';
  return {
    client_name: text(1000),
    logo_uri: webUri,
    client_uri: webUri,
    policy_uri: webUri,
    tos_uri: webUri,
    redirect_uris: redirectUris,
    post_logout_redirect_uris: textList(CLIENT_SETTINGS_RULES.maxUris, 2000),
    token_endpoint_auth_method: oneOf(100, CLIENT_AUTH_METHODS, supported(CLIENT_AUTH_METHODS, 60)),
    grant_types: textList(10, 200),
    response_types: textList(10, 200),
    contacts: textList(20, 320),
    scope: text(2000),
    jwks_uri: webUri,
    software_id: text(200),
    software_version: text(100),
    application_type: oneOf(20, ['web', 'native'], () => 'must be "web" or "native"'),
    backchannel_logout_uri: webUri,
    backchannel_logout_session_required: flag,
    subject_type: oidc ? oneOf(20, ['public'], () => 'only "public" subject identifiers are supported') : text(20),
    id_token_signed_response_alg: oidc ? oneOf(20, ID_TOKEN_ALGS, supported(ID_TOKEN_ALGS, 20)) : text(20),
    // Latchkey's per-client choice of RFC 9068 access-token algorithm.
    access_token_signed_response_alg: oneOf(20, SIGNING_ALGS, supported(SIGNING_ALGS, 20)),
    require_auth_time: flag,
    // Latchkey's RFC 8707 setting: the resource indicators the client may name.
    resources: textList(MAX_RESOURCES, MAX_RESOURCE_LENGTH),
  };
}

/** RFC 7592 §2.2: an update names the client, and repeats its secret when it has one. */
export const UPDATE_CREDENTIALS = { client_id: text(500), client_secret: text(1000) };

type Values<S extends Record<string, z.ZodType>> = { [K in keyof S]: z.output<S[K]> | undefined };

/**
 * Parses each member of `shape` from the body on its own. A member that fails reads as absent and
 * gives one problem, named by the member (RFC 7591 §3.2.2 errors name the metadata field).
 */
export function readMembers<S extends Record<string, z.ZodType>>(body: Record<string, unknown>, shape: S): { values: Values<S>; problems: FieldProblem[] } {
  const values: Record<string, unknown> = {};
  const issues: z.core.$ZodIssue[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const parsed = schema.safeParse(body[key]);
    const first = parsed.error?.issues[0];
    if (parsed.success) values[key] = parsed.data;
    else if (first) issues.push({ ...first, path: [key] });
  }
  return { values: values as Values<S>, problems: issues.length > 0 ? zodProblems(new z.ZodError(issues)) : [] };
}
