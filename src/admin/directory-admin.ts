import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import type { FieldProblem } from '../core/clients/settings.js';
import { randomToken } from '../core/crypto/random.js';
import type {
  Directory,
  DirectoryBind,
  DirectoryClient,
  DirectoryEntry,
  DirectoryGroupLookup,
  DirectoryGroupRef,
  DirectoryUserLookup,
} from '../core/directories/directory.js';
import type { DirectoryStore, StoredDirectory } from '../core/directories/ports.js';
import {
  checkAttributes,
  checkDn,
  checkDomain,
  checkGroupLookup,
  checkUserLookup,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_READ_TIMEOUT_MS,
  DIRECTORY_PRESETS,
  defaultPort,
  PRESETS,
} from '../core/directories/settings.js';
import type { AuditStore, Clock, Random } from '../core/ports.js';
import { DuplicateKeyError, StaleWriteError } from '../core/ports.js';
import { zodProblems } from '../core/validation.js';
import { type Actor, AdminError } from './errors.js';

const text = (max: number) => z.string().max(max);
const attribute = text(64);
const dn = text(1024);

const userLookupInput = z.union([
  z
    .object({
      base_dn: dn,
      filter: text(1024).optional(),
      username_attribute: attribute.optional(),
      scope: z.enum(['sub', 'one']).optional(),
    })
    .strict(),
  z.object({ dn_template: dn }).strict(),
]);

const groupLookupInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z.object({ kind: z.literal('member_of'), attribute: attribute.optional(), name_attribute: attribute.optional() }).strict(),
  z
    .object({
      kind: z.literal('search'),
      base_dn: dn.optional(),
      filter: text(1024).optional(),
      member_attribute: attribute.optional(),
      name_attribute: attribute.optional(),
      nested: z.boolean().optional().describe('Active Directory: follow nested groups (LDAP_MATCHING_RULE_IN_CHAIN)'),
    })
    .strict(),
]);

const attributesInput = z
  .object({
    username: attribute.optional(),
    display_name: attribute.nullable().optional(),
    email: attribute.nullable().optional(),
    given_name: attribute.nullable().optional(),
    family_name: attribute.nullable().optional(),
    unique_id: attribute.optional().describe('An attribute that stays when a user is renamed: entryUUID (OpenLDAP), objectGUID (Active Directory)'),
  })
  .strict();

export const directoryInputSchema = z
  .object({
    name: text(200),
    domain: text(64).describe('Short id for DOMAIN\\user and user@domain sign-in; "internal" is reserved'),
    preset: z.enum(DIRECTORY_PRESETS).optional().describe('Defaults for the user filter, attributes and groups; openldap when absent'),
    enabled: z.boolean().optional(),
    host: text(253),
    port: z.number().int().min(1).max(65535).optional(),
    security: z.enum(['none', 'ldaps', 'starttls']).optional(),
    ca_bundle: text(65536).nullable().optional().describe('PEM certificates trusted for the server (LDAPS, StartTLS); absent: the system store'),
    verify_hostname: z.boolean().optional(),
    connect_timeout_ms: z.number().int().min(100).max(60_000).optional(),
    read_timeout_ms: z.number().int().min(100).max(120_000).optional(),
    bind_dn: dn.nullable().optional().describe('Service account for search-then-bind; null or absent: anonymous'),
    bind_password: text(1024).optional().describe('Write-only; stored encrypted under the master key'),
    users: userLookupInput,
    attributes: attributesInput.optional(),
    groups: groupLookupInput.optional(),
    email_verified: z.boolean().optional(),
    create_users_on_sign_in: z.boolean().optional(),
    default_group_id: text(200).nullable().optional(),
    sync_interval_minutes: z.number().int().min(0).max(10_080).optional(),
  })
  .strict();
export type DirectoryInput = z.infer<typeof directoryInputSchema>;

export const directoryPatchSchema = directoryInputSchema.omit({ preset: true }).partial().strict();
export type DirectoryPatch = z.infer<typeof directoryPatchSchema>;

const timestamp = z.iso.datetime().nullable();

export const directoryViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  domain: z.string(),
  position: z.number().int(),
  enabled: z.boolean(),
  host: z.string(),
  port: z.number().int(),
  security: z.enum(['none', 'ldaps', 'starttls']),
  ca_bundle: z.string().nullable(),
  verify_hostname: z.boolean(),
  connect_timeout_ms: z.number().int(),
  read_timeout_ms: z.number().int(),
  bind_dn: z.string().nullable(),
  bind_password_set: z.boolean(),
  users: z.union([
    z.object({ base_dn: z.string(), filter: z.string(), username_attribute: z.string(), scope: z.enum(['sub', 'one']) }),
    z.object({ dn_template: z.string() }),
  ]),
  attributes: z.object({
    username: z.string(),
    display_name: z.string().nullable(),
    email: z.string().nullable(),
    given_name: z.string().nullable(),
    family_name: z.string().nullable(),
    unique_id: z.string(),
  }),
  groups: z.union([
    z.object({ kind: z.literal('none') }),
    z.object({ kind: z.literal('member_of'), attribute: z.string(), name_attribute: z.string() }),
    z.object({
      kind: z.literal('search'),
      base_dn: z.string(),
      filter: z.string(),
      member_attribute: z.string(),
      name_attribute: z.string(),
      nested: z.boolean(),
    }),
  ]),
  email_verified: z.boolean(),
  create_users_on_sign_in: z.boolean(),
  default_group_id: z.string().nullable(),
  sync_interval_minutes: z.number().int(),
  health: z.object({ last_success_at: timestamp, last_error_at: timestamp, last_error: z.string().nullable() }),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
});
export type DirectoryView = z.infer<typeof directoryViewSchema>;

export interface DirectoryAdminDeps {
  directories: DirectoryStore;
  /** Whether a native group exists (the default group of users created at sign-in). */
  nativeGroupExists(id: string): Promise<boolean>;
  client: DirectoryClient;
  /** Why the directory client cannot send a configured search filter, or null (src/adapters/ldap/filter.ts). */
  filterProblem(filter: string): string | null;
  secrets: { seal(plaintext: string, context: string): string };
  audit: Pick<AuditStore, 'append'>;
  clock: Clock;
  random: Random;
  /** The users a removed directory's removal disabled: their sessions and tokens end. */
  onUsersDisabled(userIds: readonly string[]): Promise<void>;
}

/** The sealed bind password is bound to its directory: a copied ciphertext does not open elsewhere. */
export const bindPasswordContext = (directoryId: string) => `directory-bind:${directoryId}`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function directoryView(d: StoredDirectory): DirectoryView {
  const g = d.groups;
  const health = d.health;
  return {
    id: d.id,
    name: d.name,
    domain: d.domain,
    position: d.position,
    enabled: d.enabled,
    host: d.connection.host,
    port: d.connection.port,
    security: d.connection.security,
    ca_bundle: d.connection.caBundle,
    verify_hostname: d.connection.verifyHostname,
    connect_timeout_ms: d.connection.connectTimeoutMs,
    read_timeout_ms: d.connection.readTimeoutMs,
    bind_dn: d.bind.kind === 'service' ? d.bind.dn : null,
    bind_password_set: d.bind.kind === 'service',
    users:
      d.users.kind === 'template'
        ? { dn_template: d.users.dnTemplate }
        : { base_dn: d.users.baseDn, filter: d.users.filter, username_attribute: d.users.usernameAttribute, scope: d.users.scope },
    attributes: {
      username: d.attributes.username,
      display_name: d.attributes.displayName,
      email: d.attributes.email,
      given_name: d.attributes.givenName,
      family_name: d.attributes.familyName,
      unique_id: d.attributes.uniqueId,
    },
    groups:
      g.kind === 'none'
        ? { kind: 'none' }
        : g.kind === 'member-of'
          ? { kind: 'member_of', attribute: g.attribute, name_attribute: g.nameAttribute }
          : { kind: 'search', base_dn: g.baseDn, filter: g.filter, member_attribute: g.memberAttribute, name_attribute: g.nameAttribute, nested: g.nested },
    email_verified: d.emailVerified,
    create_users_on_sign_in: d.createUsersOnSignIn,
    default_group_id: d.defaultGroupId,
    sync_interval_minutes: d.syncIntervalMinutes,
    health: { last_success_at: iso(health.lastSuccessAt), last_error_at: iso(health.lastErrorAt), last_error: health.lastError },
    created_at: new Date(d.createdAt).toISOString(),
    updated_at: new Date(d.updatedAt).toISOString(),
  };
}

/** RFC 1123 host names and IP literals; no scheme, port or path. */
function checkHost(host: string): FieldProblem[] {
  if (isIP(host) !== 0) return [];
  return /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(host)
    ? []
    : [{ field: 'host', message: 'is not a host name or IP address (no scheme or port: use the port field)' }];
}

/** PEM certificates only, each one parseable; text around them is allowed (RFC 7468 §2). */
function checkCaBundle(pem: string | null): FieldProblem[] {
  if (pem === null) return [];
  // A private key (or anything else) pasted with the CA would be stored and shown back as it is.
  const other = [...pem.matchAll(/-----BEGIN ([^\r\n]*?)-----/g)].map((m) => m[1] ?? '').find((label) => label !== 'CERTIFICATE');
  if (other !== undefined) {
    return [{ field: 'ca_bundle', message: `holds a PEM block "${other.slice(0, 40)}": only certificates (-----BEGIN CERTIFICATE-----) belong here` }];
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return [{ field: 'ca_bundle', message: 'contains no PEM certificate (-----BEGIN CERTIFICATE-----)' }];
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return [{ field: 'ca_bundle', message: `certificate ${i + 1} cannot be read` }];
    }
  }
  return [];
}

export type DirectoryTestResult = { kind: 'ok' } | { kind: 'unavailable'; reason: string };

export type UserTestResult =
  /** `found`: looked up without a password; `signed_in`: the password was accepted. */
  { outcome: 'signed_in' | 'found' | 'wrong_password' | 'unknown_user' | 'unavailable'; reason?: string; entry?: DirectoryEntry };

/** Administration of the directory list: configure_server, checked by the caller. */
export class DirectoryAdmin {
  constructor(private readonly d: DirectoryAdminDeps) {}

  async list(): Promise<DirectoryView[]> {
    return (await this.d.directories.list()).map(directoryView);
  }

  async view(id: string): Promise<DirectoryView> {
    return directoryView(await this.get(id));
  }

  async get(id: string): Promise<StoredDirectory> {
    const found = await this.d.directories.get(id);
    if (!found) throw AdminError.notFound('directory');
    return found;
  }

  async create(raw: unknown, actor: Actor): Promise<StoredDirectory> {
    const parsed = directoryInputSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const input = parsed.data;
    const now = this.d.clock.now();
    const id = randomToken(this.d.random, 96);
    const preset = PRESETS[input.preset ?? 'openldap'];
    const security = input.security ?? 'none';
    const users: DirectoryUserLookup =
      'dn_template' in input.users
        ? { kind: 'template', dnTemplate: input.users.dn_template }
        : {
            kind: 'search',
            baseDn: input.users.base_dn,
            filter: input.users.filter ?? preset.userFilter,
            usernameAttribute: input.users.username_attribute ?? preset.usernameAttribute,
            scope: input.users.scope ?? 'sub',
          };
    const baseDn = users.kind === 'search' ? users.baseDn : users.dnTemplate.slice(users.dnTemplate.indexOf(',') + 1);
    const directory: Directory = {
      id,
      name: input.name.trim(),
      domain: input.domain.toLowerCase(),
      position: 0,
      enabled: input.enabled ?? true,
      connection: {
        host: input.host,
        port: input.port ?? defaultPort(security),
        security,
        caBundle: input.ca_bundle ?? null,
        verifyHostname: input.verify_hostname ?? true,
        connectTimeoutMs: input.connect_timeout_ms ?? DEFAULT_CONNECT_TIMEOUT_MS,
        readTimeoutMs: input.read_timeout_ms ?? DEFAULT_READ_TIMEOUT_MS,
      },
      bind: this.bind(id, input.bind_dn ?? null, input.bind_password, null),
      users,
      attributes: mergeAttributes(preset.attributes, input.attributes),
      groups: groupLookup(input.groups, preset.groups(baseDn), baseDn),
      emailVerified: input.email_verified ?? false,
      createUsersOnSignIn: input.create_users_on_sign_in ?? false,
      defaultGroupId: input.default_group_id ?? null,
      syncIntervalMinutes: input.sync_interval_minutes ?? 0,
      createdAt: now,
      updatedAt: now,
    };
    await this.check(directory);
    try {
      await this.d.directories.insert(directory);
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw conflict();
      throw err;
    }
    await this.record(actor, 'directory.create', directory, { host: directory.connection.host, port: directory.connection.port });
    return this.get(id);
  }

  async update(id: string, raw: unknown, actor: Actor): Promise<StoredDirectory> {
    const parsed = directoryPatchSchema.safeParse(raw);
    if (!parsed.success) throw AdminError.invalid(zodProblems(parsed.error));
    const p = parsed.data;
    const stored = await this.get(id);
    const { health: _health, unreadableFields: _unreadable, ...before } = stored;
    const security = p.security ?? before.connection.security;
    const users: DirectoryUserLookup =
      p.users === undefined
        ? before.users
        : 'dn_template' in p.users
          ? { kind: 'template', dnTemplate: p.users.dn_template }
          : {
              kind: 'search',
              baseDn: p.users.base_dn,
              filter: p.users.filter ?? (before.users.kind === 'search' ? before.users.filter : PRESETS.openldap.userFilter),
              usernameAttribute: p.users.username_attribute ?? (before.users.kind === 'search' ? before.users.usernameAttribute : before.attributes.username),
              scope: p.users.scope ?? 'sub',
            };
    const baseDn = users.kind === 'search' ? users.baseDn : users.dnTemplate.slice(users.dnTemplate.indexOf(',') + 1);
    const after: Directory = {
      ...before,
      name: p.name?.trim() ?? before.name,
      domain: p.domain?.toLowerCase() ?? before.domain,
      enabled: p.enabled ?? before.enabled,
      connection: {
        host: p.host ?? before.connection.host,
        port: p.port ?? (p.security !== undefined && p.security !== before.connection.security ? defaultPort(security) : before.connection.port),
        security,
        caBundle: p.ca_bundle === undefined ? before.connection.caBundle : p.ca_bundle,
        verifyHostname: p.verify_hostname ?? before.connection.verifyHostname,
        connectTimeoutMs: p.connect_timeout_ms ?? before.connection.connectTimeoutMs,
        readTimeoutMs: p.read_timeout_ms ?? before.connection.readTimeoutMs,
      },
      bind:
        p.bind_dn === undefined && p.bind_password === undefined
          ? before.bind
          : this.bind(id, p.bind_dn === undefined ? bindDn(before.bind) : p.bind_dn, p.bind_password, before.bind),
      users,
      attributes: p.attributes === undefined ? before.attributes : mergeAttributes(before.attributes, p.attributes),
      groups: p.groups === undefined ? before.groups : groupLookup(p.groups, before.groups, baseDn),
      emailVerified: p.email_verified ?? before.emailVerified,
      createUsersOnSignIn: p.create_users_on_sign_in ?? before.createUsersOnSignIn,
      defaultGroupId: p.default_group_id === undefined ? before.defaultGroupId : p.default_group_id,
      syncIntervalMinutes: p.sync_interval_minutes ?? before.syncIntervalMinutes,
      updatedAt: Math.max(this.d.clock.now(), before.updatedAt + 1),
    };
    await this.check(after);
    try {
      await this.d.directories.update(after, { ifUpdatedAt: before.updatedAt });
    } catch (err) {
      if (err instanceof DuplicateKeyError) throw conflict();
      if (err instanceof StaleWriteError) throw new AdminError(409, 'conflict', 'the directory changed meanwhile; load it again');
      throw err;
    }
    this.d.client.forget(id);
    const changed = Object.keys(p).filter((k) => k !== 'bind_password');
    await this.record(actor, 'directory.update', after, { fields: p.bind_password !== undefined ? [...changed, 'bind_password'] : changed });
    return this.get(id);
  }

  async setEnabled(id: string, enabled: boolean, actor: Actor): Promise<StoredDirectory> {
    return this.update(id, { enabled }, actor);
  }

  /** Moves a directory to a place in the list (0 first; beyond the end: last). */
  async move(id: string, to: number, actor: Actor): Promise<StoredDirectory[]> {
    const all = await this.d.directories.list();
    const found = all.find((x) => x.id === id);
    if (!found) throw AdminError.notFound('directory');
    const target = Math.max(0, Math.min(all.length - 1, to));
    if (target !== found.position) {
      await this.d.directories.move(id, target);
      await this.record(actor, 'directory.move', found, { from: found.position, to: target });
    }
    return this.d.directories.list();
  }

  /** Permanent: its external users are disabled (kept for their audit history), its groups removed. */
  async remove(id: string, actor: Actor): Promise<void> {
    const found = await this.get(id);
    const disabled = (await this.d.directories.remove(id, this.d.clock.now())) ?? [];
    this.d.client.forget(id);
    await this.onUsersDisabledSafe(disabled);
    await this.record(actor, 'directory.remove', found, { users_disabled: disabled.length });
  }

  async test(id: string): Promise<DirectoryTestResult> {
    return this.d.client.test(await this.get(id));
  }

  /** A sign-in as this directory alone would see it: the entry and groups found, and the outcome. */
  async testUser(id: string, username: string, password: string | null, actor: Actor): Promise<UserTestResult> {
    const directory = await this.get(id);
    await this.record(actor, 'directory.test_user', directory, { username: username.slice(0, 200), with_password: password !== null });
    if (password === null) {
      const found = await this.d.client.lookup(directory, username);
      if (found.kind === 'found') return { outcome: 'found', entry: found.entry };
      return found.kind === 'missing' ? { outcome: 'unknown_user' } : { outcome: 'unavailable', reason: found.reason };
    }
    const r = await this.d.client.authenticate(directory, username, password);
    if (r.kind === 'ok') return { outcome: 'signed_in', entry: r.entry };
    if (r.kind === 'unavailable') return { outcome: 'unavailable', reason: r.reason };
    return { outcome: r.kind === 'unknown' ? 'unknown_user' : 'wrong_password' };
  }

  async searchUsers(id: string, query: string, limit: number): Promise<DirectoryEntry[]> {
    const r = await this.d.client.searchUsers(await this.get(id), query, limit);
    if (r.kind === 'unavailable') throw new AdminError(409, 'directory_unavailable', `the directory could not be asked: ${r.reason}`);
    return r.entries;
  }

  async searchGroups(id: string, query: string, limit: number): Promise<Array<DirectoryGroupRef & { memberDns: string[] }>> {
    const r = await this.d.client.searchGroups(await this.get(id), query, limit);
    if (r.kind === 'unavailable') throw new AdminError(409, 'directory_unavailable', `the directory could not be asked: ${r.reason}`);
    return r.groups;
  }

  private async onUsersDisabledSafe(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.d.onUsersDisabled(ids);
  }

  private bind(id: string, dnValue: string | null, password: string | undefined, before: DirectoryBind | null): DirectoryBind {
    if (dnValue === null || dnValue.trim() === '') return { kind: 'anonymous' };
    if (password !== undefined) return { kind: 'service', dn: dnValue, passwordSealed: this.d.secrets.seal(password, bindPasswordContext(id)) };
    if (before?.kind === 'service') return { kind: 'service', dn: dnValue, passwordSealed: before.passwordSealed };
    // Reported with the other problems by check().
    return { kind: 'service', dn: dnValue, passwordSealed: '' };
  }

  private async check(x: Directory): Promise<void> {
    const problems: FieldProblem[] = [
      ...(x.name === '' ? [{ field: 'name', message: 'is required' }] : []),
      ...checkDomain(x.domain),
      ...checkHost(x.connection.host),
      ...checkCaBundle(x.connection.caBundle),
      ...(x.bind.kind === 'service' ? checkDn(x.bind.dn, 'bind_dn') : []),
      ...(x.bind.kind === 'service' && x.bind.passwordSealed === '' ? [{ field: 'bind_password', message: 'is required with bind_dn' }] : []),
      ...checkUserLookup(x.users),
      ...checkAttributes(x.attributes),
      ...checkGroupLookup(x.groups),
    ];
    // Filters that pass the structural checks must also be ones the client can send.
    const filters: Array<[string, string]> = [
      ...(x.users.kind === 'search' ? [['users.filter', x.users.filter] as [string, string]] : []),
      ...(x.groups.kind === 'search' ? [['groups.filter', x.groups.filter] as [string, string]] : []),
    ];
    for (const [field, filter] of filters) {
      if (problems.some((p) => p.field === field)) continue;
      const problem = this.d.filterProblem(filter);
      if (problem !== null) problems.push({ field, message: problem });
    }
    if (x.defaultGroupId !== null && !(await this.d.nativeGroupExists(x.defaultGroupId))) {
      problems.push({ field: 'default_group_id', message: 'is not a native group' });
    }
    if (problems.length > 0) throw AdminError.invalid(problems);
  }

  private record(actor: Actor, action: string, x: Directory, details: Record<string, unknown>): Promise<void> {
    return this.d.audit.append({
      at: this.d.clock.now(),
      actor: actor.name,
      source: actor.source,
      action,
      targetType: 'directory',
      target: x.domain,
      details: { name: x.name, ...details },
    });
  }
}

function conflict(): AdminError {
  return new AdminError(409, 'conflict', 'another directory has this domain, or this host and port', [
    { field: 'domain', message: 'or host and port is taken' },
  ]);
}

function bindDn(b: DirectoryBind): string | null {
  return b.kind === 'service' ? b.dn : null;
}

function mergeAttributes(base: Directory['attributes'], a: z.infer<typeof attributesInput> | undefined): Directory['attributes'] {
  if (!a) return base;
  return {
    username: a.username ?? base.username,
    displayName: a.display_name === undefined ? base.displayName : a.display_name,
    email: a.email === undefined ? base.email : a.email,
    givenName: a.given_name === undefined ? base.givenName : a.given_name,
    familyName: a.family_name === undefined ? base.familyName : a.family_name,
    uniqueId: a.unique_id ?? base.uniqueId,
  };
}

function groupLookup(input: z.infer<typeof groupLookupInput> | undefined, base: DirectoryGroupLookup, baseDn: string): DirectoryGroupLookup {
  if (!input) return base;
  if (input.kind === 'none') return { kind: 'none' };
  if (input.kind === 'member_of') {
    return {
      kind: 'member-of',
      attribute: input.attribute ?? (base.kind === 'member-of' ? base.attribute : 'memberOf'),
      nameAttribute: input.name_attribute ?? (base.kind === 'none' ? 'cn' : base.nameAttribute),
    };
  }
  const was = base.kind === 'search' ? base : null;
  return {
    kind: 'search',
    baseDn: input.base_dn ?? was?.baseDn ?? baseDn,
    filter: input.filter ?? was?.filter ?? '(objectClass=groupOfNames)',
    memberAttribute: input.member_attribute ?? was?.memberAttribute ?? 'member',
    nameAttribute: input.name_attribute ?? was?.nameAttribute ?? 'cn',
    nested: input.nested ?? was?.nested ?? false,
  };
}
