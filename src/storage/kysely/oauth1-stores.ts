import type { Kysely } from 'kysely';
import type { OAuth1Stores, TemporaryCredential, TemporaryCredentialStore, TokenCredential, TokenCredentialStore } from '../../core/oauth1/storage.js';
import { prepared } from './prepared.js';
import type { FoundationTables } from './tables.js';

/** Row shapes of migration 0004 (times in epoch milliseconds). */
export interface OAuth1TemporaryTable {
  token_hash: string;
  client_key: string;
  secret_sealed: string;
  callback: string;
  created_at: number;
  expires_at: number;
  user_id: string | null;
  verifier_hash: string | null;
  authorized_at: number | null;
  used_at: number | null;
}

export interface OAuth1TokensTable {
  token_hash: string;
  client_key: string;
  user_id: string;
  secret_sealed: string;
  created_at: number;
}

export type OAuth1Tables = {
  oauth1_temporary: OAuth1TemporaryTable;
  oauth1_tokens: OAuth1TokensTable;
};

type Db = Kysely<FoundationTables & OAuth1Tables>;

function temporaryFromRow(r: OAuth1TemporaryTable): TemporaryCredential {
  return {
    tokenHash: r.token_hash,
    clientKey: r.client_key,
    secretSealed: r.secret_sealed,
    callback: r.callback,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    userId: r.user_id,
    verifierHash: r.verifier_hash,
    authorizedAt: r.authorized_at,
    usedAt: r.used_at,
  };
}

export class KyselyTemporaryCredentialStore implements TemporaryCredentialStore {
  constructor(private readonly db: Db) {}

  async insert(t: TemporaryCredential): Promise<void> {
    await this.db
      .insertInto('oauth1_temporary')
      .values({
        token_hash: t.tokenHash,
        client_key: t.clientKey,
        secret_sealed: t.secretSealed,
        callback: t.callback,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
        user_id: t.userId,
        verifier_hash: t.verifierHash,
        authorized_at: t.authorizedAt,
        used_at: t.usedAt,
      })
      .execute();
  }

  async get(tokenHash: string): Promise<TemporaryCredential | undefined> {
    const row = await this.db.selectFrom('oauth1_temporary').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
    return row ? temporaryFromRow(row) : undefined;
  }

  async authorize(tokenHash: string, userId: string, verifierHash: string, now: number): Promise<boolean> {
    // One statement: only the first answer, before expiry and use, takes effect.
    const r = await this.db
      .updateTable('oauth1_temporary')
      .set({ user_id: userId, verifier_hash: verifierHash, authorized_at: now })
      .where('token_hash', '=', tokenHash)
      .where('user_id', 'is', null)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async consume(tokenHash: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('oauth1_temporary')
      .set({ used_at: now })
      .where('token_hash', '=', tokenHash)
      .where('used_at', 'is', null)
      .where('authorized_at', 'is not', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async remove(tokenHash: string): Promise<void> {
    await this.db.deleteFrom('oauth1_temporary').where('token_hash', '=', tokenHash).execute();
  }

  async removeForClient(clientKey: string): Promise<number> {
    const r = await this.db.deleteFrom('oauth1_temporary').where('client_key', '=', clientKey).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async removeForUser(userId: string): Promise<number> {
    const r = await this.db.deleteFrom('oauth1_temporary').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async removeForUserAndClient(userId: string, clientKey: string): Promise<number> {
    const r = await this.db.deleteFrom('oauth1_temporary').where('user_id', '=', userId).where('client_key', '=', clientKey).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async purgeExpired(before: number, batch: number): Promise<number> {
    const victims = await this.db.selectFrom('oauth1_temporary').select('token_hash').where('expires_at', '<', before).limit(batch).execute();
    if (victims.length === 0) return 0;
    const r = await this.db
      .deleteFrom('oauth1_temporary')
      .where(
        'token_hash',
        'in',
        victims.map((v) => v.token_hash),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

export class KyselyTokenCredentialStore implements TokenCredentialStore {
  constructor(private readonly db: Db) {}

  async insert(t: TokenCredential): Promise<void> {
    await this.db
      .insertInto('oauth1_tokens')
      .values({ token_hash: t.tokenHash, client_key: t.clientKey, user_id: t.userId, secret_sealed: t.secretSealed, created_at: t.createdAt })
      .execute();
  }

  /** Every signed request reads its token. */
  private readonly byHash = prepared(
    () => this.db,
    1,
    (tokenHash: string) => this.db.selectFrom('oauth1_tokens').selectAll().where('token_hash', '=', tokenHash),
  );

  async get(tokenHash: string): Promise<TokenCredential | undefined> {
    const [r] = await this.byHash(tokenHash);
    return r ? { tokenHash: r.token_hash, clientKey: r.client_key, userId: r.user_id, secretSealed: r.secret_sealed, createdAt: r.created_at } : undefined;
  }

  async removeForClient(clientKey: string): Promise<number> {
    const r = await this.db.deleteFrom('oauth1_tokens').where('client_key', '=', clientKey).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async removeForUser(userId: string): Promise<number> {
    const r = await this.db.deleteFrom('oauth1_tokens').where('user_id', '=', userId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async removeForUserAndClient(userId: string, clientKey: string): Promise<number> {
    const r = await this.db.deleteFrom('oauth1_tokens').where('user_id', '=', userId).where('client_key', '=', clientKey).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/** The Kysely (SQLite and PostgreSQL) implementation of the OAuth 1.0a storage ports. */
export function kyselyOAuth1Stores(db: Kysely<FoundationTables>): OAuth1Stores {
  const k = db.withTables<OAuth1Tables>();
  return { temporaries: new KyselyTemporaryCredentialStore(k), tokens: new KyselyTokenCredentialStore(k) };
}
