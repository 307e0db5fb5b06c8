/**
 * The relational schema behind Storage, as Kysely table types and as migrations. Column types are the ones both
 * SQLite and PostgreSQL read the same way: text and integer only (JSON is kept as text; booleans as 0/1). No
 * column holds a timestamp: the relay keeps no record of when anything happened.
 */
import type { Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

export interface GroupsTable {
  group_id: string;
  /** Member id (identity public key) of the creator, as in the genesis entry. */
  creator: string;
}

export interface RosterEntriesTable {
  group_id: string;
  epoch: number;
  /** Hash of the signed entry (the next entry's `prev`), computed by the relay. */
  hash: string;
  /** The signed entry as JSON, exactly as received. */
  entry: string;
}

export interface InvitesTable {
  group_id: string;
  invite_id: string;
  gate_hash: string;
  /** The encrypted group card as JSON. */
  card: string;
  created_by: string;
  /** 0 or 1. */
  revoked: number;
}

export interface Database {
  groups: GroupsTable;
  roster_entries: RosterEntriesTable;
  invites: InvitesTable;
}

/**
 * Migrations live in code, not in files read at run time, so the same list runs on both dialects wherever the
 * relay is started from. Append new ones; never edit one that has shipped.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('groups')
        .addColumn('group_id', 'text', (c) => c.primaryKey())
        .addColumn('creator', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('roster_entries')
        .addColumn('group_id', 'text', (c) => c.notNull().references('groups.group_id').onDelete('cascade'))
        .addColumn('epoch', 'integer', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('entry', 'text', (c) => c.notNull())
        // The arbiter between relay nodes: one entry per epoch of a group, whoever commits first wins.
        .addPrimaryKeyConstraint('roster_entries_pk', ['group_id', 'epoch'])
        .execute();
      await db.schema
        .createTable('invites')
        .addColumn('group_id', 'text', (c) => c.notNull().references('groups.group_id').onDelete('cascade'))
        .addColumn('invite_id', 'text', (c) => c.notNull())
        .addColumn('gate_hash', 'text', (c) => c.notNull())
        .addColumn('card', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('revoked', 'integer', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('invites_pk', ['group_id', 'invite_id'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('invites').execute();
      await db.schema.dropTable('roster_entries').execute();
      await db.schema.dropTable('groups').execute();
    },
  },
};

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(MIGRATIONS),
};
