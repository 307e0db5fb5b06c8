/**
 * Several real relay nodes (buildApp) in one process, on port 0, sharing the machine's PostgreSQL (a schema of their
 * own, dropped at the end) and Redis (a key prefix of their own, deleted at the end), so parallel runs never collide.
 * The Redis is the machine's, or a three-master Redis Cluster the test file starts on loopback ports and stops after
 * (eachRedis runs a file's tests on both). PostgreSQL or the machine's Redis being down is a failure with a clear
 * message, never a silent skip: .ci/run starts both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe } from 'vitest';
import { buildApp, createPostgresStorage, defaultConfig, type KindredApp } from '@kindred/server';
import type { Storage } from '@kindred/server';
import { initCrypto } from '@kindred/shared/crypto';
import { connectRedis, keysMatching, unlinkEach, type RedisClient, type RedisTarget } from '../../server/src/redisClient';
import { dropSchema, redisUnreachable, requirePostgres, TEST_DATABASE_URL, TEST_REDIS_URL } from '../../server/src/testServices';
import { CLUSTER_HOOK_TIMEOUT_MS, startRedisCluster } from '../../server/src/testRedisCluster';

export interface RelayNode {
  url: string;
  app: KindredApp;
  storage: Storage;
  logs: string[];
  /** Closes the node as a crash would look to its clients: every connection drops. */
  kill(): Promise<void>;
  alive: boolean;
}

/** A relay started as its own process (`pnpm --filter @kindred/server start` does the same: tsx src/main.ts). */
export interface ChildNode {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote. */
  output: string[];
  /** SIGKILL: no shutdown of any kind, as when a machine dies. */
  crash(): Promise<void>;
}

export interface SpawnOptions {
  redisUrl?: string;
  redisNodeMap?: string;
  port?: number;
}

export interface TestCluster {
  nodes: RelayNode[];
  /**
   * A node in a child process, on the same database schema and Redis prefix; through `redisUrl` (a fault proxy) and
   * `redisNodeMap` (KINDRED_REDIS_NODE_MAP: a proxy per Redis Cluster master) if given, on `port` if given (a node
   * restarted where its clients left it).
   */
  spawnNode(opts?: SpawnOptions): Promise<ChildNode>;
  /** The relays' shared clock in ms; tests move it by hand. */
  clock: { now: number };
  schema: string;
  prefix: string;
  /** Every Redis key under this run's prefix. */
  redisKeys(): Promise<string[]>;
  /** Every Redis key under this run's prefix, with its PTTL (-1: no expiry). */
  redisTtls(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/** Fails with one clear sentence when PostgreSQL or Redis cannot be reached. */
export async function requireServices(): Promise<void> {
  await requirePostgres('The multi-node tests');
  const redis = createClient({ url: TEST_REDIS_URL, socket: { connectTimeout: 5000, reconnectStrategy: false } });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    throw redisUnreachable(e, 'The multi-node tests');
  } finally {
    if (redis.isOpen) await redis.close();
  }
}

async function withRedis<T>(target: RedisTarget, run: (redis: RedisClient) => Promise<T>): Promise<T> {
  const redis = await connectRedis(target, () => undefined);
  try {
    return await run(redis);
  } finally {
    await redis.close();
  }
}

const MACHINE_REDIS: RedisTarget = { url: TEST_REDIS_URL, cluster: false };

/** A Redis the multi-node tests run on, while a describe block runs. */
export interface RedisUnderTest {
  target: RedisTarget;
  /** Every master's address ("host:port"), as a Redis Cluster announces it (CLUSTER SLOTS); `target.url` names the first. */
  masters: string[];
}

/** The machine's Redis, or a three-master Redis Cluster of the describe block's own. */
export interface RedisKind {
  title: string;
  /** Makes it ready; resolves with it and how to stop it. */
  start(): Promise<{ redis: RedisUnderTest; stop(): Promise<void> }>;
}

export const ONE_REDIS: RedisKind = {
  title: 'on one Redis',
  start: () => {
    const { hostname, port } = new URL(TEST_REDIS_URL);
    return Promise.resolve({ redis: { target: MACHINE_REDIS, masters: [`${hostname}:${port || 6379}`] }, stop: () => Promise.resolve() });
  },
};

export const REDIS_CLUSTER: RedisKind = {
  title: 'on a three-master Redis Cluster',
  async start() {
    const local = await startRedisCluster();
    const redis = { target: { url: local.url, cluster: true }, masters: local.ports.map((p) => `127.0.0.1:${p}`) };
    return { redis, stop: () => local.stop() };
  },
};

/**
 * Declares `body`'s tests on one kind of Redis: a Redis Cluster is started before the block's first test and stopped
 * (processes killed, files deleted) after its last. `redis()` is the one to use in hooks and tests.
 */
export function onRedis(kind: RedisKind, body: (redis: () => RedisUnderTest) => void): void {
  describe(kind.title, () => {
    let started: Awaited<ReturnType<RedisKind['start']>> | undefined;
    beforeAll(async () => {
      started = await kind.start();
    }, CLUSTER_HOOK_TIMEOUT_MS);
    afterAll(async () => {
      await started?.stop();
    });
    body(() => {
      if (!started) throw new Error(`the Redis ${kind.title} did not start`);
      return started.redis;
    });
  });
}

/** Declares `body`'s tests twice: on the machine's Redis, and on a three-master Redis Cluster. Pass `redis()` to startCluster. */
export function eachRedis(body: (redis: () => RedisTarget) => void): void {
  for (const kind of [ONE_REDIS, REDIS_CLUSTER]) onRedis(kind, (redis) => body(() => redis().target));
}

const SERVER_DIR = fileURLToPath(new URL('../../server/', import.meta.url));

/**
 * `size` in-process nodes. Their clock is a manual one unless `realClock` (a child process runs on the real clock,
 * and the buffer TTL is measured against the time written by whichever node buffered).
 */
export async function startCluster(
  size: number,
  opts: { bufferTtlSeconds?: number; realClock?: boolean; redis?: RedisTarget } = {},
): Promise<TestCluster> {
  await requireServices();
  const redis = opts.redis ?? MACHINE_REDIS;
  await initCrypto();
  const run = `${process.pid}_${randomBytes(4).toString('hex')}`;
  const schema = `kindred_multinode_${run}`;
  const prefix = `kindred-test-${run}:`;
  const clock = { now: 1_700_000_000_000 };
  const nodes: RelayNode[] = [];

  const startNode = async (): Promise<RelayNode> => {
    const storage = createPostgresStorage({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 4 });
    await storage.migrate();
    const logs: string[] = [];
    const config = defaultConfig({
      port: 0,
      host: '127.0.0.1',
      logLevel: 'info',
      databaseUrl: TEST_DATABASE_URL,
      redisUrl: redis.url,
      redisCluster: redis.cluster,
      redisKeyPrefix: prefix,
      rateLimit: { perSecond: 1000, burst: 10_000 },
      ...(opts.bufferTtlSeconds !== undefined ? { bufferTtlSeconds: opts.bufferTtlSeconds } : {}),
    });
    const now = opts.realClock ? Date.now : () => clock.now;
    const app = await buildApp(config, { storage, logStream: { write: (line: string) => void logs.push(line) }, now });
    await app.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.app.server.address() as AddressInfo;
    const node: RelayNode = {
      url: `http://127.0.0.1:${port}`,
      app,
      storage,
      logs,
      alive: true,
      async kill() {
        if (!node.alive) return;
        node.alive = false;
        await app.close();
        await storage.close();
      },
    };
    return node;
  };

  // One after another: the first creates the schema, the others find it.
  for (let i = 0; i < size; i++) nodes.push(await startNode());
  const children: ChildNode[] = [];

  const spawnNode = async (opts: SpawnOptions = {}): Promise<ChildNode> => {
    if (nodes.length === 0 && children.length === 0) {
      // No in-process node made the schema: a child finds its tables only in a schema that exists.
      const storage = createPostgresStorage({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 1 });
      await storage.migrate();
      await storage.close();
    }
    // The schema goes on the connection's search path through the URL (libpq's `options`), as an operator would.
    const databaseUrl = `${TEST_DATABASE_URL}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: SERVER_DIR,
      env: {
        ...process.env,
        KINDRED_PORT: String(opts.port ?? 0),
        KINDRED_HOST: '127.0.0.1',
        KINDRED_DATABASE_URL: databaseUrl,
        KINDRED_REDIS_URL: opts.redisUrl ?? redis.url,
        KINDRED_REDIS_CLUSTER: String(redis.cluster),
        KINDRED_REDIS_NODE_MAP: opts.redisNodeMap ?? '',
        KINDRED_REDIS_PREFIX: prefix,
        KINDRED_LOG_LEVEL: 'warn',
        KINDRED_RATE_LIMIT: '1000,10000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output.push(chunk.toString());
        const m = /listening on (http:\/\/[^\s]+)/.exec(output.join(''));
        if (m?.[1]) resolve(m[1]);
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => reject(new Error(`relay process exited (${code}) before listening:\n${output.join('')}`)));
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const node: ChildNode = {
      url,
      port: Number(new URL(url).port),
      process: child,
      output,
      async crash() {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      },
    };
    children.push(node);
    return node;
  };

  return {
    nodes,
    spawnNode,
    clock,
    schema,
    prefix,
    redisKeys: () => withRedis(redis, (r) => keysMatching(r, `${prefix}*`)),
    redisTtls: () => withRedis(redis, async (r) => new Map(await Promise.all((await keysMatching(r, `${prefix}*`)).map(async (k) => [k, await r.pTTL(k)] as const)))),
    async close() {
      await Promise.all([...nodes.map((n) => n.kill()), ...children.map((c) => c.crash())]);
      await dropSchema(schema);
      await withRedis(redis, async (r) => unlinkEach(r, await keysMatching(r, `${prefix}*`)));
    },
  };
}
