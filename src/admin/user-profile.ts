import { z } from 'zod';
import type { User, UserAddress, UserProfile } from '../core/ports.js';

/**
 * The standard profile claims of a user (OIDC Core §5.1) as the admin API and My account take
 * them: snake_case at the edge, each optional (absent: unchanged), null or "" clears it.
 */

/** C0 and C1 controls, DEL, and the bidi embeddings, overrides and isolates that reorder what is shown. */
const HIDDEN = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;
/** The same, but line feeds are allowed (multi-line address members). */
const HIDDEN_BUT_LF = /(?!\n)[\p{Cc}\u202a-\u202e\u2066-\u2069]/u;

/** A lone surrogate: no character at all, and it breaks JSON and pages later. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const emptyToNull = (v: string): string | null => (v === '' ? null : v);

function text(max: number, multiline = false) {
  return z
    .string()
    .overwrite((v) => (multiline ? v.replace(/\r\n?/g, '\n') : v))
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine(
      (v) => !LONE_SURROGATE.test(v) && !(multiline ? HIDDEN_BUT_LF : HIDDEN).test(v),
      multiline ? 'must not contain control characters other than line breaks' : 'must not contain control characters',
    )
    .transform(emptyToNull);
}

/** §5.1: profile, picture and website are URLs; only http(s), no credentials, stored as parsed. */
const webUrl = z
  .string()
  .trim()
  .max(2000, 'must be at most 2000 characters')
  .transform((v, ctx) => {
    if (v === '') return null;
    const url = /[\s\p{Cc}]/u.test(v) || !URL.canParse(v) ? null : new URL(v);
    if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') {
      ctx.addIssue({ code: 'custom', message: 'must be an http or https URL' });
      return z.NEVER;
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({ code: 'custom', message: 'must not contain a user name or password' });
      return z.NEVER;
    }
    return url.href;
  });

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** §5.1 birthdate: YYYY-MM-DD (year 0000: the year is omitted) or YYYY alone. */
export function isBirthdate(v: string): boolean {
  const m = /^(\d{4})(?:-(\d{2})-(\d{2}))?$/.exec(v);
  if (!m) return false;
  if (m[2] === undefined) return m[1] !== '0000';
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year === 0 || (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0));
  return day <= (month === 2 && !leap ? 28 : (DAYS_IN_MONTH[month - 1] ?? 0));
}

const birthdate = z
  .string()
  .trim()
  .max(10)
  .transform((v, ctx) => {
    if (v === '') return null;
    if (!isBirthdate(v)) {
      ctx.addIssue({ code: 'custom', message: 'must be a date YYYY-MM-DD (year 0000 when omitted) or a year YYYY' });
      return z.NEVER;
    }
    return v;
  });

let zones: Map<string, string> | undefined;

/**
 * §5.1 zoneinfo: a time zone name of the IANA database, e.g. Europe/Paris. Names Intl lists are
 * stored as it spells them; other names it accepts (links such as UTC or Asia/Kolkata) as given.
 * Offsets such as +05:30 are no zone names.
 */
export function zoneName(v: string): string | null {
  zones ??= new Map(Intl.supportedValuesOf('timeZone').map((z) => [z.toLowerCase(), z]));
  const listed = zones.get(v.toLowerCase());
  if (listed !== undefined) return listed;
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(v)) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
    return v;
  } catch {
    return null;
  }
}

const zoneinfo = z
  .string()
  .trim()
  .max(64, 'must be at most 64 characters')
  .transform((v, ctx) => {
    if (v === '') return null;
    const zone = zoneName(v);
    if (zone === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone name, e.g. Europe/Paris' });
      return z.NEVER;
    }
    return zone;
  });

/** §5.1 locale: a BCP 47 language tag, stored in its canonical form (en-us → en-US). */
const locale = z
  .string()
  .trim()
  .max(35, 'must be at most 35 characters')
  .transform((v, ctx) => {
    if (v === '') return null;
    try {
      const [canonical] = Intl.getCanonicalLocales(v);
      if (canonical !== undefined) return canonical;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a BCP 47 language tag, e.g. en-US' });
    return z.NEVER;
  });

/** §5.1 phone_number: E.164 (+ and up to 15 digits), optionally ;ext=…; spaces, dots, dashes and brackets are dropped. */
const phoneNumber = z
  .string()
  .trim()
  .max(40, 'must be at most 40 characters')
  .transform((v, ctx) => {
    if (v === '') return null;
    const compact = v.replace(/[ ().-]/g, '');
    if (!/^\+[1-9][0-9]{1,14}(?:;ext=[0-9]{1,10})?$/.test(compact)) {
      ctx.addIssue({ code: 'custom', message: 'must be an international number in E.164 form, e.g. +14255551212' });
      return z.NEVER;
    }
    return compact;
  });

/** §5.1.1, snake_case as in the claim. */
const address = z
  .object({
    formatted: text(500, true).nullable().optional(),
    street_address: text(300, true).nullable().optional(),
    locality: text(100).nullable().optional(),
    region: text(100).nullable().optional(),
    postal_code: text(20).nullable().optional(),
    country: text(100).nullable().optional(),
  })
  .strict();

/** Spread into the user input and patch schemas. */
export const PROFILE_SHAPE = {
  given_name: text(200).nullable().optional(),
  family_name: text(200).nullable().optional(),
  middle_name: text(200).nullable().optional(),
  nickname: text(200).nullable().optional(),
  profile: webUrl.nullable().optional(),
  picture: webUrl.nullable().optional(),
  website: webUrl.nullable().optional(),
  gender: text(100).nullable().optional(),
  birthdate: birthdate.nullable().optional(),
  zoneinfo: zoneinfo.nullable().optional(),
  locale: locale.nullable().optional(),
  phone_number: phoneNumber.nullable().optional(),
  address: address.nullable().optional(),
};

const profileSchema = z.object(PROFILE_SHAPE);
export type ProfileInput = z.output<typeof profileSchema>;

/** Wire name ↔ field of UserProfile, the one place the two spellings meet. */
const FIELDS = [
  ['given_name', 'givenName'],
  ['family_name', 'familyName'],
  ['middle_name', 'middleName'],
  ['nickname', 'nickname'],
  ['profile', 'profileUrl'],
  ['picture', 'pictureUrl'],
  ['website', 'websiteUrl'],
  ['gender', 'gender'],
  ['birthdate', 'birthdate'],
  ['zoneinfo', 'zoneinfo'],
  ['locale', 'locale'],
  ['phone_number', 'phoneNumber'],
] as const satisfies ReadonlyArray<readonly [keyof ProfileInput, keyof UserProfile]>;

const ADDRESS_FIELDS = [
  ['formatted', 'formatted'],
  ['street_address', 'streetAddress'],
  ['locality', 'locality'],
  ['region', 'region'],
  ['postal_code', 'postalCode'],
  ['country', 'country'],
] as const;

type AddressInput = NonNullable<ProfileInput['address']>;

function toAddress(a: AddressInput | null | undefined): UserAddress | undefined {
  if (a === null || a === undefined) return undefined;
  const out: UserAddress = {};
  for (const [wire, field] of ADDRESS_FIELDS) {
    const v = a[wire];
    if (typeof v === 'string') out[field] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The profile after a parsed input: absent fields stay, null clears; the address is replaced whole. */
export function applyProfile(current: UserProfile | undefined, input: Partial<ProfileInput>): UserProfile {
  const next: UserProfile = { ...current };
  for (const [wire, field] of FIELDS) {
    const v = input[wire];
    if (v === undefined) continue;
    if (v === null) delete next[field];
    else next[field] = v;
  }
  if (input.address !== undefined) {
    const a = toAddress(input.address);
    if (a === undefined) delete next.address;
    else next.address = a;
  }
  return next;
}

/** Whether the claims about a user (name, email, profile) differ: what moves OIDC's updated_at. */
export function claimsChanged(before: User, after: User): boolean {
  return (
    before.displayName !== after.displayName ||
    before.email !== after.email ||
    before.username !== after.username ||
    JSON.stringify(sorted(before.profile ?? {})) !== JSON.stringify(sorted(after.profile ?? {}))
  );
}

function sorted(p: UserProfile): unknown {
  const address = p.address === undefined ? undefined : Object.fromEntries(Object.entries(p.address).sort());
  return Object.entries({ ...p, address }).sort(([a], [b]) => (a < b ? -1 : 1));
}

const shown = z.string().nullable();

/** The profile as the admin API shows it: every field, null when not set. */
export const PROFILE_VIEW_SHAPE = {
  given_name: shown,
  family_name: shown,
  middle_name: shown,
  nickname: shown,
  profile: shown,
  picture: shown,
  website: shown,
  gender: shown,
  birthdate: shown,
  zoneinfo: shown,
  locale: shown,
  phone_number: shown,
  address: z.record(z.string(), z.string()).nullable(),
  profile_updated_at: z.iso.datetime().describe('When the name, email or profile last changed'),
};
const profileViewSchema = z.object(PROFILE_VIEW_SHAPE);
export type ProfileView = z.output<typeof profileViewSchema>;

// Every wire name of FIELDS is shown, and nothing else besides the address and its date.
type Shown = Exclude<keyof ProfileView, 'address' | 'profile_updated_at'>;
type Listed = (typeof FIELDS)[number][0];
const everyFieldShown: [Shown] extends [Listed] ? ([Listed] extends [Shown] ? true : false) : false = true;
void everyFieldShown;

/** The profile as the admin API shows it: every field, null when not set. */
export function viewProfile(u: User): ProfileView {
  const p = u.profile ?? {};
  const view: Record<string, unknown> = {};
  for (const [wire, field] of FIELDS) view[wire] = p[field] ?? null;
  let address: Record<string, string> | null = null;
  if (p.address !== undefined) {
    address = {};
    for (const [wire, field] of ADDRESS_FIELDS) {
      const v = p.address[field];
      if (v !== undefined) address[wire] = v;
    }
  }
  return {
    ...(view as Omit<ProfileView, 'address' | 'profile_updated_at'>),
    address,
    profile_updated_at: new Date(u.profileUpdatedAt ?? u.updatedAt).toISOString(),
  };
}
