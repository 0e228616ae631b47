import type { FastifyReply } from 'fastify';

/** Longest return_to (or other local target) accepted, before and after re-serialization. */
const MAX_TARGET = 4000;

/** The issuer as a base URL: its path ends with "/" so that relative values resolve under it. */
function issuerBase(issuer: string): URL {
  const base = new URL(issuer);
  if (!base.pathname.endsWith('/')) base.pathname = `${base.pathname}/`;
  base.search = '';
  base.hash = '';
  return base;
}

/** The issuer's home page as a local path ("/", or "/auth/" for an issuer with a path). */
export function issuerHome(issuer: string): string {
  return issuerBase(issuer).pathname;
}

/**
 * A URL a browser may be sent to on this server, or the issuer's home page. The value is resolved
 * with the WHATWG URL parser against the issuer, as a browser would resolve it, so TAB, CR and LF
 * inside it, C0 controls and spaces around it, backslashes, "/.//" and the like cannot take the
 * browser to another host. Kept only with the issuer's scheme, host and port, no userinfo, and a
 * path under the issuer's path; returned re-serialized from the parsed URL (printable ASCII only)
 * as an absolute path, never as "//…" (which a browser would read as another host).
 */
export function localTarget(issuer: string, value: unknown): string {
  const base = issuerBase(issuer);
  const home = base.pathname;
  if (typeof value !== 'string' || value === '' || value.length > MAX_TARGET) return home;
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return home;
  }
  // Opaque URLs (javascript:, data:) have the origin "null".
  if (url.origin !== base.origin || url.username !== '' || url.password !== '') return home;
  const under = url.pathname === home.slice(0, -1) || url.pathname.startsWith(home);
  if (!under || url.pathname.startsWith('//')) return home;
  const target = `${url.pathname}${url.search}${url.hash}`;
  return target.length > MAX_TARGET ? home : target;
}

/**
 * A path of this server (what the router sees, e.g. "/admin/account" or a request URL) as the
 * browser addresses it: behind a reverse proxy that strips the issuer's path, that path is put
 * back in front.
 */
export function publicPath(issuer: string, serverPath: string): string {
  const prefix = new URL(issuer).pathname.replace(/\/$/, '');
  if (prefix === '' || serverPath === prefix || serverPath.startsWith(`${prefix}/`)) return serverPath;
  return `${prefix}${serverPath}`;
}

/** Redirects to a path of this server, checked and re-serialized like any local target. */
export function redirectLocal(reply: FastifyReply, issuer: string, serverPath: string, code: 302 | 303 = 303): FastifyReply {
  return reply.redirect(localTarget(issuer, publicPath(issuer, serverPath)), code);
}
