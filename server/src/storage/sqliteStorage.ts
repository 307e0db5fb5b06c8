/** The embedded default: SQLite through better-sqlite3, one file under the data directory, in WAL mode. */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KyselyStorage } from './kyselyStorage';
import type { ConstraintKind } from './kyselyStorage';
import type { Database } from './schema';

export const SQLITE_MEMORY = ':memory:';

/** Opens (creating if needed) the SQLite database at `file`, or an in-memory one for ':memory:'. Call migrate() next. */
export function createSqliteStorage(file: string): KyselyStorage {
  if (file !== SQLITE_MEMORY) mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const database = new BetterSqlite3(file);
  // WAL: readers never wait for the writer; NORMAL sync is durable across process crashes in WAL mode.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  // SQLite leaves foreign keys off unless asked; the roster and invites must belong to an existing group.
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  return new KyselyStorage(db, { dialect: 'sqlite', constraintOf: sqliteConstraint });
}

function sqliteConstraint(e: unknown): ConstraintKind | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign-key';
  return undefined;
}
