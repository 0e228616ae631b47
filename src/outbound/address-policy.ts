import { BlockList, isIP } from 'node:net';

type Family = 'ipv4' | 'ipv6';

/** One special-purpose range (IANA IPv4/IPv6 Special-Purpose Address Registries, RFC 6890). */
interface Range {
  list: BlockList;
  label: string;
}

function range(network: string, prefix: number, family: Family, label: string): Range {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, label };
}

/** IPv4 ranges a server-side request must not reach; the first match names the address. */
const IPV4_RANGES: Range[] = [
  range('0.0.0.0', 8, 'ipv4', 'unspecified ("this network", RFC 791)'),
  range('10.0.0.0', 8, 'ipv4', 'private (RFC 1918)'),
  range('100.64.0.0', 10, 'ipv4', 'shared CGNAT (RFC 6598)'),
  range('127.0.0.0', 8, 'ipv4', 'loopback'),
  range('169.254.0.0', 16, 'ipv4', 'link-local'),
  range('172.16.0.0', 12, 'ipv4', 'private (RFC 1918)'),
  range('192.0.0.0', 24, 'ipv4', 'reserved (IETF protocol assignments)'),
  range('192.0.2.0', 24, 'ipv4', 'documentation (TEST-NET-1)'),
  range('192.88.99.0', 24, 'ipv4', 'reserved (6to4 relay anycast)'),
  range('192.168.0.0', 16, 'ipv4', 'private (RFC 1918)'),
  range('198.18.0.0', 15, 'ipv4', 'reserved (benchmarking)'),
  range('198.51.100.0', 24, 'ipv4', 'documentation (TEST-NET-2)'),
  range('203.0.113.0', 24, 'ipv4', 'documentation (TEST-NET-3)'),
  range('224.0.0.0', 4, 'ipv4', 'multicast'),
  range('255.255.255.255', 32, 'ipv4', 'broadcast'),
  range('240.0.0.0', 4, 'ipv4', 'reserved'),
];

/**
 * IPv6 ranges refused outright. Addresses that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96,
 * NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by that IPv4 address; anything outside global
 * unicast 2000::/3 is refused as well.
 */
const IPV6_RANGES: Range[] = [
  range('::', 128, 'ipv6', 'unspecified'),
  range('::1', 128, 'ipv6', 'loopback'),
  range('::', 96, 'ipv6', 'IPv4-compatible (deprecated, RFC 4291)'),
  range('64:ff9b:1::', 48, 'ipv6', 'local-use NAT64 (RFC 8215)'),
  range('100::', 64, 'ipv6', 'discard-only (RFC 6666)'),
  range('2001::', 23, 'ipv6', 'reserved (IETF protocol assignments, Teredo)'),
  range('2001:db8::', 32, 'ipv6', 'documentation'),
  range('3fff::', 20, 'ipv6', 'documentation'),
  range('5f00::', 16, 'ipv6', 'reserved (SRv6 SIDs)'),
  range('fc00::', 7, 'ipv6', 'unique local (fc00::/7)'),
  range('fe80::', 10, 'ipv6', 'link-local'),
  range('fec0::', 10, 'ipv6', 'site-local (deprecated)'),
  range('ff00::', 8, 'ipv6', 'multicast'),
];
const GLOBAL_UNICAST = range('2000::', 3, 'ipv6', 'global unicast');
const IPV4_MAPPED = range('::ffff:0:0', 96, 'ipv6', 'IPv4-mapped');
const NAT64 = range('64:ff9b::', 96, 'ipv6', 'NAT64');
const SIX_TO_FOUR = range('2002::', 16, 'ipv6', '6to4');

/** An address without an IPv6 zone ("fe80::1%eth0"), or null when it is no IP address. */
function plain(address: string): { address: string; family: Family } | null {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v = isIP(bare);
  return v === 4 ? { address: bare, family: 'ipv4' } : v === 6 ? { address: bare, family: 'ipv6' } : null;
}

/** The 16 bytes of an IPv6 address (valid per isIP), embedded dotted quads included. */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** The IPv4 address an IPv6 address stands for (mapped, NAT64, 6to4), if any. */
export function embeddedIpv4(address: string): string | null {
  const p = plain(address);
  if (p?.family !== 'ipv6') return null;
  const bytes = ipv6Bytes(p.address);
  if (IPV4_MAPPED.list.check(p.address, 'ipv6') || NAT64.list.check(p.address, 'ipv6')) return bytes.slice(12, 16).join('.');
  if (SIX_TO_FOUR.list.check(p.address, 'ipv6')) return bytes.slice(2, 6).join('.');
  return null;
}

/**
 * The special-purpose range an address belongs to (loopback, private, link-local, CGNAT, unique
 * local, multicast, broadcast, unspecified, documentation, reserved), or null for an address on
 * the public Internet. A string that is no IP address is "not an IP address".
 */
export function blockedRange(address: string): string | null {
  const p = plain(address);
  if (!p) return 'not an IP address';
  if (p.family === 'ipv4') return IPV4_RANGES.find((r) => r.list.check(p.address, 'ipv4'))?.label ?? null;
  const v4 = embeddedIpv4(p.address);
  if (v4 !== null) {
    const inner = blockedRange(v4);
    return inner === null ? null : `${inner}, as an IPv6 form of ${v4}`;
  }
  const named = IPV6_RANGES.find((r) => r.list.check(p.address, 'ipv6'));
  if (named) return named.label;
  return GLOBAL_UNICAST.list.check(p.address, 'ipv6') ? null : 'reserved (outside global unicast 2000::/3)';
}

export interface OutboundPolicySettings {
  /** CIDRs, addresses or host names the operator allows although they are internal. */
  allow: readonly string[];
  /** URL schemes requests may use ("https", "http"). */
  schemes: readonly string[];
}

/** A host name as compared: lower case, without a trailing dot, IPv6 without brackets. */
export function normalizeHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

/** One allow-list entry: an address, a CIDR, or a host name; null when it is none of them. */
export function parseAllowEntry(entry: string): { kind: 'subnet'; address: string; prefix: number; family: Family } | { kind: 'host'; host: string } | null {
  const text = entry.trim();
  const slash = text.indexOf('/');
  const addressPart = slash < 0 ? text : text.slice(0, slash);
  const p = plain(addressPart);
  if (p) {
    const max = p.family === 'ipv4' ? 32 : 128;
    const prefixText = slash < 0 ? String(max) : text.slice(slash + 1);
    const prefix = Number(prefixText);
    if (!/^\d{1,3}$/.test(prefixText) || prefix > max) return null;
    return { kind: 'subnet', address: p.address, prefix, family: p.family };
  }
  const host = normalizeHost(text);
  return /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_](?:[a-z0-9_-]{0,62}))*$/.test(host) ? { kind: 'host', host } : null;
}

/**
 * What server-side requests may reach: public addresses, plus what the operator allow-lists
 * (LATCHKEY_OUTBOUND_ALLOW), over the schemes the operator permits (LATCHKEY_OUTBOUND_SCHEMES).
 */
export class OutboundPolicy {
  private readonly allowed = new BlockList();
  private readonly hosts = new Set<string>();
  readonly schemes: readonly string[];

  constructor(settings: OutboundPolicySettings) {
    this.schemes = settings.schemes;
    for (const entry of settings.allow) {
      const parsed = parseAllowEntry(entry);
      if (parsed === null) throw new Error(`"${entry}" is not an address, a CIDR or a host name`);
      if (parsed.kind === 'host') this.hosts.add(parsed.host);
      else this.allowed.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  /** True when the operator named this host, so that whatever it resolves to may be reached. */
  hostAllowed(host: string): boolean {
    return this.hosts.has(normalizeHost(host));
  }

  private addressAllowed(address: string, family: Family): boolean {
    if (this.allowed.check(address, family)) return true;
    const v4 = embeddedIpv4(address);
    return v4 !== null && this.allowed.check(v4, 'ipv4');
  }

  /** Why connecting to this address is refused, or null. */
  addressRefusal(address: string): string | null {
    const p = plain(address);
    if (!p) return `${address} is not an IP address`;
    if (this.addressAllowed(p.address, p.family)) return null;
    const found = blockedRange(p.address);
    if (found === null) return null;
    return `${p.address} is ${/^[aeiou]/i.test(found) ? 'an' : 'a'} ${found} address (allow it with LATCHKEY_OUTBOUND_ALLOW)`;
  }

  /**
   * Why a URL may not be requested, judged without DNS: its scheme, userinfo, a literal address,
   * or a localhost name (RFC 6761 §6.3). Other host names are checked when they are resolved.
   */
  targetRefusal(value: string): string | null {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return 'is not an absolute URL';
    }
    const scheme = url.protocol.replace(/:$/, '');
    if (!this.schemes.includes(scheme)) {
      return `uses ${scheme}; server-side requests use ${this.schemes.join(' or ')} only (LATCHKEY_OUTBOUND_SCHEMES)`;
    }
    if (url.username !== '' || url.password !== '') return 'must not contain a user name or password';
    const host = normalizeHost(url.hostname);
    if (this.hostAllowed(host)) return null;
    if (plain(host)) return this.addressRefusal(host);
    if (host === 'localhost' || host.endsWith('.localhost')) {
      return this.addressAllowed('127.0.0.1', 'ipv4') || this.addressAllowed('::1', 'ipv6')
        ? null
        : `${host} is a loopback name (RFC 6761; allow it with LATCHKEY_OUTBOUND_ALLOW)`;
    }
    return null;
  }
}
