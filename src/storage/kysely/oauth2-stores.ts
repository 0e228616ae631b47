import { type Kysely, sql } from 'kysely';
import type { OAuth2Stores } from '../../core/oauth2/install.js';
import type {
  DeviceCodeRecord,
  DeviceCodeStatus,
  DeviceCodeStore,
  GrantLiveness,
  GrantRecord,
  GrantStore,
  PollOutcome,
  RefreshTokenRecord,
  RefreshTokenStore,
  RotateOutcome,
  SigningKeyStore,
  StoredSigningKey,
} from '../../core/oauth2/storage.js';
import { isUniqueViolation, parseRecord, parseStringList } from './json.js';
import { type OAuth2Db, type OAuth2DeviceCodesTable, type OAuth2GrantsTable, type OAuth2RefreshTokensTable, oauth2Db } from './oauth2-tables.js';
import { prepared } from './prepared.js';
import type { FoundationTables } from './tables.js';

/** Kysely implementations of the OAuth 2.0 ports; the same code runs on SQLite and PostgreSQL. */

function grantFromRow(r: OAuth2GrantsTable): GrantRecord {
  return {
    id: r.id,
    clientKey: r.client_key,
    userId: r.user_id,
    scopes: parseStringList(r.scopes),
    grantType: r.grant_type,
    createdAt: Number(r.created_at),
    authTime: r.auth_time === null ? null : Number(r.auth_time),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    extra: parseRecord(r.extra),
    sid: r.sid,
  };
}

export class KyselyGrantStore implements GrantStore {
  constructor(private readonly db: OAuth2Db) {}

  /** Every sign-in through a grant creates one. */
  private readonly insertOne = prepared(
    () => this.db,
    10,
    (
      id: string,
      clientKey: string,
      userId: string | null,
      scopes: string,
      grantType: string,
      createdAt: number,
      authTime: number | null,
      revokedAt: number | null,
      extra: string,
      sid: string | null,
    ) =>
      this.db.insertInto('oauth2_grants').values({
        id,
        client_key: clientKey,
        user_id: userId,
        scopes,
        grant_type: grantType,
        created_at: createdAt,
        auth_time: authTime,
        revoked_at: revokedAt,
        extra,
        sid,
      }),
  );

  async create(g: GrantRecord): Promise<void> {
    await this.insertOne(
      g.id,
      g.clientKey,
      g.userId,
      JSON.stringify(g.scopes),
      g.grantType,
      g.createdAt,
      g.authTime,
      g.revokedAt,
      JSON.stringify(g.extra),
      g.sid ?? null,
    );
  }

  async clientsOfSession(sid: string): Promise<Array<{ clientKey: string; userId: string }>> {
    const rows = await this.db
      .selectFrom('oauth2_grants')
      .select(['client_key', 'user_id'])
      .distinct()
      .where('sid', '=', sid)
      .where('user_id', 'is not', null)
      .execute();
    return rows.map((r) => ({ clientKey: r.client_key, userId: r.user_id ?? '' }));
  }

  private readonly livenessById = prepared(
    () => this.db,
    1,
    (id: string) =>
      this.db
        .selectFrom('oauth2_grants as g')
        .leftJoin('clients as c', 'c.key', 'g.client_key')
        .leftJoin('users as u', 'u.id', 'g.user_id')
        .selectAll('g')
        .select(['c.status as client_status', 'u.enabled as user_enabled'])
        .where('g.id', '=', id),
  );

  /** One read joining client status and user state: the cut-off check of every token use. */
  async liveness(id: string): Promise<GrantLiveness | undefined> {
    const [row] = await this.livenessById(id);
    if (!row) return undefined;
    return {
      grant: grantFromRow(row),
      clientApproved: row.client_status === 'approved',
      userEnabled: row.user_id === null ? true : Number(row.user_enabled) === 1,
    };
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const r = await this.db.updateTable('oauth2_grants').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async revokeForClient(clientKey: string, at: number): Promise<number> {
    const r = await this.db
      .updateTable('oauth2_grants')
      .set({ revoked_at: at })
      .where('client_key', '=', clientKey)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async revokeForUser(userId: string, at: number): Promise<number> {
    const r = await this.db
      .updateTable('oauth2_grants')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async revokeForUserAndClient(userId: string, clientKey: string, at: number): Promise<number> {
    const r = await this.db
      .updateTable('oauth2_grants')
      .set({ revoked_at: at })
      .where('user_id', '=', userId)
      .where('client_key', '=', clientKey)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Deletes a batch of grants created before `before` that no refresh token unexpired at `before`
   * keeps alive (revoked grants keep none alive).
   */
  async purge(before: number, batch: number): Promise<number> {
    const victims = this.db
      .selectFrom('oauth2_grants as g')
      .select('g.id')
      .where('g.created_at', '<', before)
      .where((eb) =>
        eb.or([
          eb('g.revoked_at', 'is not', null),
          eb.not(
            eb.exists(eb.selectFrom('oauth2_refresh_tokens as t').select('t.hash').whereRef('t.grant_id', '=', 'g.id').where('t.expires_at', '>=', before)),
          ),
        ]),
      )
      .limit(batch);
    const r = await this.db.deleteFrom('oauth2_grants').where('id', 'in', victims).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function refreshFromRow(r: OAuth2RefreshTokensTable): RefreshTokenRecord {
  return {
    hash: r.hash,
    grantId: r.grant_id,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    rotatedAt: r.rotated_at === null ? null : Number(r.rotated_at),
  };
}

export class KyselyRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly db: OAuth2Db) {}

  // Every refresh runs these three.
  private readonly insertOne = prepared(
    () => this.db,
    5,
    (hash: string, grantId: string, createdAt: number, expiresAt: number, rotatedAt: number | null) =>
      this.db.insertInto('oauth2_refresh_tokens').values({ hash, grant_id: grantId, created_at: createdAt, expires_at: expiresAt, rotated_at: rotatedAt }),
  );
  private readonly byHash = prepared(
    () => this.db,
    1,
    (hash: string) => this.db.selectFrom('oauth2_refresh_tokens').selectAll().where('hash', '=', hash),
  );
  private readonly rotateOne = prepared(
    () => this.db,
    2,
    (hash: string, now: number) =>
      this.db
        .updateTable('oauth2_refresh_tokens')
        .set({ rotated_at: now })
        .where('hash', '=', hash)
        .where('rotated_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll(),
  );

  async insert(t: RefreshTokenRecord): Promise<void> {
    await this.insertOne(t.hash, t.grantId, t.createdAt, t.expiresAt, t.rotatedAt);
  }

  async find(hash: string): Promise<RefreshTokenRecord | undefined> {
    const [row] = await this.byHash(hash);
    return row ? refreshFromRow(row) : undefined;
  }

  async rotate(hash: string, now: number): Promise<RotateOutcome> {
    // One statement: of racing callers (any instance) exactly one matches rotated_at IS NULL.
    const [won] = await this.rotateOne(hash, now);
    if (won) return { outcome: 'rotated', token: refreshFromRow(won) };
    const row = await this.find(hash);
    if (!row) return { outcome: 'unknown' };
    if (row.rotatedAt !== null) return { outcome: 'reused', token: row };
    return { outcome: 'expired', token: row };
  }

  async purgeExpired(before: number, batch: number): Promise<number> {
    const victims = this.db.selectFrom('oauth2_refresh_tokens').select('hash').where('expires_at', '<', before).limit(batch);
    const r = await this.db.deleteFrom('oauth2_refresh_tokens').where('hash', 'in', victims).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

function deviceFromRow(r: OAuth2DeviceCodesTable): DeviceCodeRecord {
  return {
    hash: r.hash,
    userCode: r.user_code,
    clientKey: r.client_key,
    scopes: parseStringList(r.scopes),
    status: r.status as DeviceCodeStatus,
    userId: r.user_id,
    grantId: r.grant_id,
    interval: Number(r.poll_interval),
    lastPolledAt: r.last_polled_at === null ? null : Number(r.last_polled_at),
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    extra: parseRecord(r.extra),
  };
}

export class KyselyDeviceCodeStore implements DeviceCodeStore {
  constructor(private readonly db: OAuth2Db) {}

  async insert(d: DeviceCodeRecord): Promise<boolean> {
    try {
      await this.db
        .insertInto('oauth2_device_codes')
        .values({
          hash: d.hash,
          user_code: d.userCode,
          client_key: d.clientKey,
          scopes: JSON.stringify(d.scopes),
          status: d.status,
          user_id: d.userId,
          grant_id: d.grantId,
          poll_interval: d.interval,
          last_polled_at: d.lastPolledAt,
          created_at: d.createdAt,
          expires_at: d.expiresAt,
          extra: JSON.stringify(d.extra),
        })
        .execute();
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // An expired code may still hold the user code until purged: free it and let the caller retry.
      await this.db.deleteFrom('oauth2_device_codes').where('user_code', '=', d.userCode).where('expires_at', '<=', d.createdAt).execute();
      return false;
    }
  }

  async findByUserCode(userCode: string, now: number): Promise<DeviceCodeRecord | undefined> {
    const row = await this.db.selectFrom('oauth2_device_codes').selectAll().where('user_code', '=', userCode).where('expires_at', '>', now).executeTakeFirst();
    return row ? deviceFromRow(row) : undefined;
  }

  async poll(hash: string, now: number, slowDownBy: number, toleranceMs: number): Promise<PollOutcome> {
    const onTime = await this.db
      .updateTable('oauth2_device_codes')
      .set({ last_polled_at: now })
      .where('hash', '=', hash)
      .where((eb) => eb.or([eb('last_polled_at', 'is', null), eb(sql<number>`last_polled_at + poll_interval * 1000 - ${toleranceMs}`, '<=', now)]))
      .returningAll()
      .executeTakeFirst();
    if (onTime) return { outcome: 'ok', record: deviceFromRow(onTime) };
    const early = await this.db
      .updateTable('oauth2_device_codes')
      .set((eb) => ({ last_polled_at: now, poll_interval: eb('poll_interval', '+', slowDownBy) }))
      .where('hash', '=', hash)
      .returningAll()
      .executeTakeFirst();
    return early ? { outcome: 'too_fast', record: deviceFromRow(early) } : { outcome: 'unknown' };
  }

  async decide(userCode: string, d: { status: 'approved' | 'denied'; userId: string; grantId: string | null }, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('oauth2_device_codes')
      .set({ status: d.status, user_id: d.userId, grant_id: d.grantId })
      .where('user_code', '=', userCode)
      .where('status', '=', 'pending')
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async redeem(hash: string): Promise<boolean> {
    const r = await this.db
      .updateTable('oauth2_device_codes')
      .set({ status: 'redeemed' })
      .where('hash', '=', hash)
      .where('status', '=', 'approved')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async denyForClient(clientKey: string): Promise<number> {
    const r = await this.db
      .updateTable('oauth2_device_codes')
      .set({ status: 'denied' })
      .where('client_key', '=', clientKey)
      .where('status', 'in', ['pending', 'approved'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async purgeExpired(before: number, batch: number): Promise<number> {
    const victims = this.db.selectFrom('oauth2_device_codes').select('hash').where('expires_at', '<', before).limit(batch);
    const r = await this.db.deleteFrom('oauth2_device_codes').where('hash', 'in', victims).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class KyselySigningKeyStore implements SigningKeyStore {
  constructor(private readonly db: OAuth2Db) {}

  async list(): Promise<StoredSigningKey[]> {
    const rows = await this.db.selectFrom('oauth2_signing_keys').selectAll().orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({
      kid: r.kid,
      alg: r.alg,
      publicJwk: parseRecord(r.public_jwk),
      privateSealed: r.private_sealed,
      createdAt: Number(r.created_at),
      retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    }));
  }

  async insert(k: StoredSigningKey): Promise<void> {
    await this.db
      .insertInto('oauth2_signing_keys')
      .values({
        kid: k.kid,
        alg: k.alg,
        public_jwk: JSON.stringify(k.publicJwk),
        private_sealed: k.privateSealed,
        created_at: k.createdAt,
        retired_at: k.retiredAt,
      })
      .execute();
  }

  async retireOthers(alg: string, keepKid: string, at: number): Promise<number> {
    const r = await this.db
      .updateTable('oauth2_signing_keys')
      .set({ retired_at: at })
      .where('alg', '=', alg)
      .where('kid', '!=', keepKid)
      .where('retired_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async purgeRetired(before: number): Promise<number> {
    const r = await this.db.deleteFrom('oauth2_signing_keys').where('retired_at', 'is not', null).where('retired_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/** Every OAuth 2.0 store over one database. */
export function kyselyOAuth2Stores(base: Kysely<FoundationTables>): OAuth2Stores {
  const db = oauth2Db(base);
  const grants = new KyselyGrantStore(db);
  const refreshTokens = new KyselyRefreshTokenStore(db);
  const deviceCodes = new KyselyDeviceCodeStore(db);
  return {
    grants,
    refreshTokens,
    deviceCodes,
    signingKeys: new KyselySigningKeyStore(db),
    purgeTasks: (grantRetentionMs) => [
      { name: 'oauth2_refresh_tokens', run: (before, batch) => refreshTokens.purgeExpired(before, batch) },
      { name: 'oauth2_device_codes', run: (before, batch) => deviceCodes.purgeExpired(before, batch) },
      { name: 'oauth2_grants', keepFor: grantRetentionMs, run: (before, batch) => grants.purge(before, batch) },
    ],
  };
}
