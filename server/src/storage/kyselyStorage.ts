/**
 * Storage over Kysely: one implementation for both dialects. Only the driver, the connection set-up and the
 * shape of constraint errors differ, and those come in through `KyselyStorageOptions`.
 */
import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Kysely } from 'kysely';
import { KindredError } from '@kindred/shared/errors';
import type { EncryptedGroupCard, SignedRosterEntry } from '@kindred/shared/protocol';
import type { Storage, StoredInvite } from './storage';
import { migrationProvider } from './schema';
import type { Database } from './schema';

export type ConstraintKind = 'unique' | 'foreign-key';

export interface KyselyStorageOptions {
  dialect: Storage['dialect'];
  /** Names the constraint a driver error reports, if any. */
  constraintOf(error: unknown): ConstraintKind | undefined;
  /** Runs before the migrator (e.g. create the PostgreSQL schema); returns the migration table's schema. */
  prepare?(db: Kysely<Database>): Promise<string | undefined>;
}

export class KyselyStorage implements Storage {
  readonly dialect: Storage['dialect'];
  readonly #db: Kysely<Database>;
  readonly #opts: KyselyStorageOptions;
  #closed = false;

  constructor(db: Kysely<Database>, opts: KyselyStorageOptions) {
    this.#db = db;
    this.#opts = opts;
    this.dialect = opts.dialect;
  }

  async migrate(): Promise<void> {
    const migrationTableSchema = await this.#opts.prepare?.(this.#db);
    const migrator = new Migrator({ db: this.#db, provider: migrationProvider, migrationTableSchema });
    const { error } = await migrator.migrateToLatest();
    if (error !== undefined) throw new KindredError('INTERNAL', 'storage migration failed', { cause: error });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#db.destroy();
  }

  async ping(): Promise<void> {
    await sql`select 1`.execute(this.#db);
  }

  async createGroup(input: { groupId: string; creator: string; genesis: SignedRosterEntry; genesisHash: string }): Promise<void> {
    checkEntry(input.groupId, 0, input.genesis);
    await this.#mapConstraint(() =>
      this.#db.transaction().execute(async (trx) => {
        await trx.insertInto('groups').values({ group_id: input.groupId, creator: input.creator }).execute();
        await trx
          .insertInto('roster_entries')
          .values({ group_id: input.groupId, epoch: 0, hash: input.genesisHash, entry: JSON.stringify(input.genesis) })
          .execute();
      }),
    );
  }

  async groupExists(groupId: string): Promise<boolean> {
    const row = await this.#db.selectFrom('groups').select('group_id').where('group_id', '=', groupId).executeTakeFirst();
    return row !== undefined;
  }

  async appendRosterEntry(input: { groupId: string; epoch: number; hash: string; entry: SignedRosterEntry }): Promise<void> {
    checkEntry(input.groupId, input.epoch, input.entry);
    await this.#mapConstraint(() =>
      this.#db
        .insertInto('roster_entries')
        .values({ group_id: input.groupId, epoch: input.epoch, hash: input.hash, entry: JSON.stringify(input.entry) })
        .execute(),
    );
  }

  async getRosterEntries(groupId: string, sinceEpoch: number): Promise<SignedRosterEntry[]> {
    const rows = await this.#db
      .selectFrom('roster_entries')
      .select('entry')
      .where('group_id', '=', groupId)
      .where('epoch', '>', sinceEpoch)
      .orderBy('epoch', 'asc')
      .execute();
    // Not re-validated here: the relay verified each entry before storing it, and clients verify the chain anyway.
    return rows.map((r) => JSON.parse(r.entry) as SignedRosterEntry);
  }

  async putInvite(invite: Omit<StoredInvite, 'revoked'>): Promise<void> {
    await this.#mapConstraint(() =>
      this.#db
        .insertInto('invites')
        .values({
          group_id: invite.groupId,
          invite_id: invite.inviteId,
          gate_hash: invite.gateHash,
          card: JSON.stringify(invite.card),
          created_by: invite.createdBy,
          revoked: 0,
        })
        .execute(),
    );
  }

  async getInvite(groupId: string, inviteId: string): Promise<StoredInvite | undefined> {
    const row = await this.#db
      .selectFrom('invites')
      .selectAll()
      .where('group_id', '=', groupId)
      .where('invite_id', '=', inviteId)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    return {
      groupId: row.group_id,
      inviteId: row.invite_id,
      gateHash: row.gate_hash,
      card: JSON.parse(row.card) as EncryptedGroupCard,
      createdBy: row.created_by,
      revoked: Number(row.revoked) !== 0,
    };
  }

  async replaceInviteCard(groupId: string, inviteId: string, card: EncryptedGroupCard): Promise<boolean> {
    const r = await this.#db
      .updateTable('invites')
      .set({ card: JSON.stringify(card) })
      .where('group_id', '=', groupId)
      .where('invite_id', '=', inviteId)
      .where('revoked', '=', 0)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async revokeInvite(groupId: string, inviteId: string): Promise<boolean> {
    const r = await this.#db
      .updateTable('invites')
      .set({ revoked: 1 })
      .where('group_id', '=', groupId)
      .where('invite_id', '=', inviteId)
      .where('revoked', '=', 0)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  /** A unique key says someone else wrote first (CONFLICT); a missing parent says the group does not exist. */
  async #mapConstraint<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      const kind = this.#opts.constraintOf(e);
      if (kind === 'unique') throw new KindredError('CONFLICT', undefined, { cause: e });
      if (kind === 'foreign-key') throw new KindredError('NOT_FOUND', 'group', { cause: e });
      throw e;
    }
  }
}

/** The relay passes the entry's own group and epoch; a mismatch is a relay bug, never stored. */
function checkEntry(groupId: string, epoch: number, entry: SignedRosterEntry): void {
  if (entry.body.groupId !== groupId || entry.body.epoch !== epoch) {
    throw new KindredError('INTERNAL', 'roster entry does not match the group or epoch it is stored under');
  }
}
