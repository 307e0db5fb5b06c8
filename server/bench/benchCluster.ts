/**
 * The shared services of a multi-node relay run (`pnpm bench:relay --nodes 2`): the machine's PostgreSQL and Redis,
 * on loopback only. Each run gets a schema and a key prefix of its own, named after the benchmark's pid, and removes
 * both at its end, on failure too; a run that was killed before it could (SIGKILL) is swept by the next one, which
 * drops the schemas and keys of benchmark pids that no longer exist.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createClient } from 'redis';
import { CLUSTER_ENV } from './serverIpc';

export const BENCH_DATABASE_URL = process.env.KINDRED_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const BENCH_REDIS_URL = process.env.KINDRED_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const SCHEMA_PREFIX = 'kindred_bench_';
const KEY_PREFIX = 'kindred-bench-';
/** Every connect, query and Redis command of the set-up and clean-up gives up after this long. */
const SERVICE_TIMEOUT_MS = 5_000;

/** The schema and key prefix of one run; the pid in both names tells a later run whether their owner still lives. */
export function runNames(pid: number, tag: string): { schema: string; prefix: string } {
  if (!/^[a-z0-9]{1,16}$/.test(tag)) throw new Error('run tag: 1 to 16 lower-case letters or digits');
  return { schema: `${SCHEMA_PREFIX}${pid}_${tag}`, prefix: `${KEY_PREFIX}${pid}-${tag}:` };
}

/** The benchmark pid a schema name or Redis key of `runNames` belongs to; undefined for anything else. */
export function ownerPid(name: string): number | undefined {
  const m = /^kindred_bench_(\d+)_[a-z0-9]+$/.exec(name) ?? /^kindred-bench-(\d+)-[a-z0-9]+:/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** True for 127.0.0.0/8, ::1 and localhost: the benchmark never talks to another machine. */
export function isLoopbackUrl(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

function withTimeout<T>(p: Promise<T>, what: string, ms = SERVICE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

async function withPg<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: BENCH_DATABASE_URL, connectionTimeoutMillis: SERVICE_TIMEOUT_MS, statement_timeout: SERVICE_TIMEOUT_MS });
  client.on('error', () => undefined); // a dropped connection fails the pending query, which is reported
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is unreachable at ${BENCH_DATABASE_URL} (${(e as Error).message}): --nodes 2 needs it (KINDRED_BENCH_DATABASE_URL)`, { cause: e });
  }
  try {
    return await run(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const benchRedisClient = () => createClient({ url: BENCH_REDIS_URL, socket: { connectTimeout: SERVICE_TIMEOUT_MS, reconnectStrategy: false } });
type Redis = ReturnType<typeof benchRedisClient>;

async function withRedis<T>(run: (r: Redis) => Promise<T>): Promise<T> {
  const redis = benchRedisClient();
  redis.on('error', () => undefined); // surfaced by the failing command
  try {
    await withTimeout(redis.connect(), 'Redis connect');
  } catch (e) {
    throw new Error(`Redis is unreachable at ${BENCH_REDIS_URL} (${(e as Error).message}): --nodes 2 needs it (KINDRED_BENCH_REDIS_URL)`, { cause: e });
  }
  try {
    return await withTimeout(run(redis), 'Redis clean-up', 30_000);
  } finally {
    if (redis.isOpen) await redis.close().catch(() => undefined);
  }
}

async function keysMatching(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: pattern, COUNT: 1000 })) keys.push(...batch);
  return keys;
}

async function unlinkAll(redis: Redis, keys: string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) await redis.unlink(keys.slice(i, i + 1000));
}

export interface ClusterRun {
  schema: string;
  prefix: string;
  /** The variables of a relay node child of this run. */
  nodeEnv: Record<string, string>;
  /** What the start-up sweep removed of earlier runs that died without cleaning up. */
  swept: { schemas: number; keys: number };
  /** Drops the schema and deletes every key under the prefix (after the nodes stopped). Idempotent. */
  cleanup(): Promise<{ keys: number }>;
}

/** Removes the schemas and keys of benchmark runs whose process is gone. */
async function sweepStale(): Promise<{ schemas: number; keys: number }> {
  const schemas = await withPg(async (c) => {
    const r = await c.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [`${SCHEMA_PREFIX}%`]);
    const stale = r.rows.map((x) => x.nspname).filter((n) => {
      const pid = ownerPid(n);
      return pid !== undefined && !isAlive(pid);
    });
    for (const n of stale) await c.query(`drop schema if exists "${n}" cascade`);
    return stale.length;
  });
  const keys = await withRedis(async (redis) => {
    const stale = (await keysMatching(redis, `${KEY_PREFIX}*`)).filter((k) => {
      const pid = ownerPid(k);
      return pid !== undefined && !isAlive(pid);
    });
    await unlinkAll(redis, stale);
    return stale.length;
  });
  return { schemas, keys };
}

/** Checks both services (loopback, reachable), sweeps dead runs, and names this run's schema and prefix. */
export async function prepareClusterRun(): Promise<ClusterRun> {
  for (const url of [BENCH_DATABASE_URL, BENCH_REDIS_URL]) {
    if (!isLoopbackUrl(url)) throw new Error(`the relay benchmark runs on loopback only: ${new URL(url).protocol}// host is not a loopback address`);
  }
  const swept = await sweepStale();
  const { schema, prefix } = runNames(process.pid, randomBytes(4).toString('hex'));
  let cleaned: Promise<{ keys: number }> | undefined;
  return {
    schema,
    prefix,
    swept,
    nodeEnv: {
      [CLUSTER_ENV.databaseUrl]: BENCH_DATABASE_URL,
      [CLUSTER_ENV.schema]: schema,
      [CLUSTER_ENV.redisUrl]: BENCH_REDIS_URL,
      [CLUSTER_ENV.redisPrefix]: prefix,
    },
    cleanup() {
      cleaned ??= (async () => {
        await withPg((c) => c.query(`drop schema if exists "${schema}" cascade`));
        const keys = await withRedis(async (redis) => {
          const found = await keysMatching(redis, `${prefix}*`);
          await unlinkAll(redis, found);
          return found.length;
        });
        return { keys };
      })();
      return cleaned;
    },
  };
}
