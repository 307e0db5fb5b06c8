import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { createClient } from 'redis';
import { describe, expect, it } from 'vitest';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, isLoopbackUrl, ownerPid, prepareClusterRun, runNames } from './benchCluster';

describe('run names', () => {
  it('carry the owner pid in the schema and the key prefix, and nothing else parses as a run', () => {
    const { schema, prefix } = runNames(4242, 'ab12');
    expect(schema).toBe('kindred_bench_4242_ab12');
    expect(prefix).toBe('kindred-bench-4242-ab12:');
    expect(ownerPid(schema)).toBe(4242);
    expect(ownerPid(`${prefix}sio`)).toBe(4242);
    expect(ownerPid('kindred_multinode_4242_ab12')).toBeUndefined();
    expect(ownerPid('kindred-bench-4242-ab12')).toBeUndefined(); // a key outside any prefix
    expect(() => runNames(1, 'Bad-Tag')).toThrow();
  });

  it('accepts only loopback services', () => {
    expect(isLoopbackUrl('postgres://postgres@127.0.0.1:5432/test')).toBe(true);
    expect(isLoopbackUrl('redis://localhost:6379')).toBe(true);
    expect(isLoopbackUrl('redis://[::1]:6379')).toBe(true);
    expect(isLoopbackUrl('postgres://db.example.org/test')).toBe(false);
    expect(isLoopbackUrl('redis://10.0.0.5:6379')).toBe(false);
    expect(isLoopbackUrl('not a url')).toBe(false);
  });
});

async function schemaExists(name: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await c.connect();
  try {
    return (await c.query('select 1 from pg_namespace where nspname = $1', [name])).rows.length === 1;
  } finally {
    await c.end();
  }
}

async function sql(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: BENCH_DATABASE_URL });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

const redisClient = () => createClient({ url: BENCH_REDIS_URL });

async function withRedis<T>(run: (r: ReturnType<typeof redisClient>) => Promise<T>): Promise<T> {
  const r = redisClient();
  r.on('error', () => undefined);
  await r.connect();
  try {
    return await run(r);
  } finally {
    await r.close();
  }
}

describe('prepareClusterRun (machine PostgreSQL and Redis)', () => {
  it('cleans up its own schema and keys, and sweeps those of a run whose process is gone', async () => {
    // A pid that existed and no longer does: a child that already exited.
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid;
    const dead = runNames(deadPid, 'dead');
    await sql(`create schema if not exists "${dead.schema}"`);
    await withRedis((r) => r.set(`${dead.prefix}x`, '1'));
    // A run of this (live) process is left alone by the sweep.
    const live = runNames(process.pid, 'live');
    await withRedis((r) => r.set(`${live.prefix}x`, '1'));

    const run = await prepareClusterRun();
    try {
      expect(await schemaExists(dead.schema)).toBe(false);
      expect(await withRedis((r) => r.exists(`${dead.prefix}x`))).toBe(0);
      expect(await withRedis((r) => r.exists(`${live.prefix}x`))).toBe(1);

      // What two nodes would leave behind: tables in the schema and keys under the prefix.
      await sql(`create schema "${run.schema}"; create table "${run.schema}".t (x int)`);
      await withRedis(async (r) => {
        await r.set(`${run.prefix}s:g:s:seq`, '1');
        await r.xAdd(`${run.prefix}sio`, '*', { a: 'b' });
      });
      expect(await run.cleanup()).toEqual({ keys: 2 });
      expect(await schemaExists(run.schema)).toBe(false);
      expect(await withRedis((r) => r.exists([`${run.prefix}s:g:s:seq`, `${run.prefix}sio`]))).toBe(0);
      expect(await run.cleanup()).toEqual({ keys: 2 }); // idempotent: the same clean-up, not a second one
    } finally {
      await run.cleanup();
      await withRedis((r) => r.del(`${live.prefix}x`));
    }
  });
});
