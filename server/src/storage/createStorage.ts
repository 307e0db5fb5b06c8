/** Picks the storage the configuration asks for: PostgreSQL when KINDRED_DATABASE_URL is set, SQLite otherwise. */
import { join } from 'node:path';
import type { Config } from '../config';
import { IN_MEMORY, SQLITE_FILE_NAME } from '../config';
import type { Storage } from './storage';
import { createSqliteStorage, SQLITE_MEMORY } from './sqliteStorage';

/** Opens the configured storage and applies pending migrations. */
export async function openStorage(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  opts: { onIdleError?: (error: Error) => void } = {},
): Promise<Storage> {
  // PostgreSQL's client is loaded only when it is used (a single node on SQLite never needs it).
  const storage = config.databaseUrl
    ? (await import('./postgresStorage')).createPostgresStorage({ connectionString: config.databaseUrl, ...(opts.onIdleError ? { onIdleError: opts.onIdleError } : {}) })
    : createSqliteStorage(config.dataDir === IN_MEMORY ? SQLITE_MEMORY : join(config.dataDir, SQLITE_FILE_NAME));
  try {
    await storage.migrate();
  } catch (e) {
    await storage.close();
    throw e;
  }
  return storage;
}
