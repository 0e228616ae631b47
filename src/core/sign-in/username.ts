/**
 * The forms a username takes at sign-in: `user`, `DOMAIN\user` (down-level logon name) and
 * `user@domain` (user principal name style). A domain part counts only when it names a
 * configured directory (or `internal`, the reserved domain of internal users); otherwise the
 * whole text is the username, so an internal user named `ann@example.com` still signs in.
 */
import { INTERNAL_DOMAIN_NAME } from '../directories/reserved.js';

export interface SignInName {
  /** The directory domain named, lower case; null: none named. */
  domain: string | null;
  username: string;
}

export function parseSignInName(input: string, domains: readonly string[]): SignInName {
  const known = (d: string) => d.toLowerCase() === INTERNAL_DOMAIN_NAME || domains.some((x) => x.toLowerCase() === d.toLowerCase());
  const slash = input.indexOf('\\');
  if (slash > 0 && slash < input.length - 1) {
    const domain = input.slice(0, slash);
    if (known(domain)) return { domain: domain.toLowerCase(), username: input.slice(slash + 1) };
  }
  const at = input.lastIndexOf('@');
  if (at > 0 && at < input.length - 1) {
    const domain = input.slice(at + 1);
    if (known(domain)) return { domain: domain.toLowerCase(), username: input.slice(0, at) };
  }
  return { domain: null, username: input };
}
