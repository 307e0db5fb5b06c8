/**
 * Test support (imported by tests only): where the tests find the machine's PostgreSQL and Redis, and the failure
 * with one clear sentence when either cannot be reached (never a silent skip: .ci/run starts both).
 */
import pg from 'pg';
import { connectRedis, keysMatching, unlinkEach, type RedisClient } from './redisClient';

export const TEST_DATABASE_URL = process.env.KINDRED_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.KINDRED_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Throws unless PostgreSQL answers; `neededBy` names the tests in the message ("The multi-node tests"). */
export async function requirePostgres(neededBy: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (e) {
    throw new Error(
      `PostgreSQL is unreachable at ${TEST_DATABASE_URL} (${(e as Error).message}). ${neededBy} need it: ` +
        'start it (.ci/run does) or point KINDRED_TEST_DATABASE_URL at one.',
      { cause: e },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops `schema` and everything in it (a test's own schema, at its end). */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** The error to throw when connecting to Redis failed with `cause`; `neededBy` as for requirePostgres. */
export function redisUnreachable(cause: unknown, neededBy: string): Error {
  return new Error(
    `Redis is unreachable at ${TEST_REDIS_URL} (${(cause as Error).message}). ${neededBy} need it: ` +
      'start it (.ci/run does) or point KINDRED_TEST_REDIS_URL at one.',
    { cause },
  );
}

/** A Redis client for a test file, or the one-sentence failure of redisUnreachable; `neededBy` as for requirePostgres. */
export async function testRedis(neededBy: string): Promise<RedisClient> {
  try {
    return await connectRedis(TEST_REDIS_URL, () => undefined);
  } catch (e) {
    throw redisUnreachable(e, neededBy);
  }
}

/** Deletes every key under a test's own `prefix` (at its end) and closes the client. */
export async function dropKeysAndClose(redis: RedisClient, prefix: string): Promise<void> {
  await unlinkEach(redis, await keysMatching(redis, `${prefix}*`));
  await redis.close();
}
