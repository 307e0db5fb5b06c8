/** PostgreSQL for several relay nodes sharing one database: a pg Pool under Kysely, the same migrations as SQLite. */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { KindredError } from '@kindred/shared/errors';
import { KyselyStorage } from './kyselyStorage';
import type { ConstraintKind } from './kyselyStorage';
import type { Database } from './schema';

export interface PostgresStorageOptions {
  /** postgres://user:password@host:port/database */
  connectionString: string;
  /**
   * Keep every table in this schema (created if missing) instead of the connection's default: lets test runs and
   * several deployments share one database without colliding. Lower-case letters, digits and underscores.
   */
  schema?: string;
  /** Pool size per relay node. */
  maxConnections?: number;
  /** Told about errors of idle pooled connections (the database restarted...); the next query fails on its own. */
  onIdleError?: (error: Error) => void;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function createPostgresStorage(opts: PostgresStorageOptions): KyselyStorage {
  const { schema } = opts;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) throw new KindredError('INTERNAL', 'invalid PostgreSQL schema name');
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.maxConnections ?? 10,
    // The schema goes first on each connection's search path, so every query and migration stays inside it.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // Without a listener an idle connection's error would crash the process.
  pool.on('error', (e) => opts.onIdleError?.(e));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return new KyselyStorage(db, {
    dialect: 'postgres',
    constraintOf: postgresConstraint,
    async prepare(kdb) {
      if (schema !== undefined) {
        try {
          await sql`create schema if not exists ${sql.id(schema)}`.execute(kdb);
        } catch (e) {
          // Two nodes starting at once can race inside "if not exists" (a duplicate key on the catalogue): the
          // loser finds the schema there, which is all it wanted.
          const r = await sql<{ n: number }>`select 1 as n from pg_namespace where nspname = ${schema}`.execute(kdb);
          if (r.rows.length === 0) throw e;
        }
        return schema;
      }
      // Name the schema explicitly: Kysely's migrator otherwise finds its table in whichever schema has one.
      const r = await sql<{ s: string }>`select current_schema() as s`.execute(kdb);
      return r.rows[0]?.s ?? 'public';
    },
  });
}

function postgresConstraint(e: unknown): ConstraintKind | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === '23505') return 'unique'; // unique_violation
  if (code === '23503') return 'foreign-key'; // foreign_key_violation
  return undefined;
}
