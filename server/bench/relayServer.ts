/**
 * The relay under test, run as a child process of the benchmark: the real `buildApp(config)` on 127.0.0.1, port 0,
 * in-memory SQLite, default limits except the per-connection rate limit, which is raised so that the benchmark
 * measures the relay's capacity and not the flood control (a few hundred senders at tens of messages per second
 * each would otherwise be refused by design). Logs at warn: the relay logs nothing per message anyway.
 *
 * One node of a multi-node relay (`--nodes 2`) when the parent sets the CLUSTER_ENV variables: PostgreSQL in the
 * run's own schema instead of SQLite, and Redis under the run's own key prefix (fan-out through the adapter).
 */
import { buildApp } from '../src/app';
import { defaultConfig, IN_MEMORY } from '../src/config';
import type { Storage } from '../src/storage/storage';
import { CLUSTER_ENV, memoryStats, reportFailed, reportReady, serveChildIpc } from './serverIpc';

interface ClusterSettings {
  databaseUrl: string;
  schema: string;
  redisUrl: string;
  redisPrefix: string;
}

function clusterSettings(env: NodeJS.ProcessEnv): ClusterSettings | undefined {
  const v = {
    databaseUrl: env[CLUSTER_ENV.databaseUrl],
    schema: env[CLUSTER_ENV.schema],
    redisUrl: env[CLUSTER_ENV.redisUrl],
    redisPrefix: env[CLUSTER_ENV.redisPrefix],
  };
  if (Object.values(v).every((x) => x === undefined)) return undefined;
  if (!v.databaseUrl || !v.schema || !v.redisUrl || !v.redisPrefix) throw new Error('relay node: incomplete cluster settings');
  return { databaseUrl: v.databaseUrl, schema: v.schema, redisUrl: v.redisUrl, redisPrefix: v.redisPrefix };
}

/** Rate limit of the benchmark (events per second per connection, burst). */
export const BENCH_RATE_LIMIT = { perSecond: 10_000, burst: 100_000 };

/**
 * How many broadcast packets Socket.IO's connection-state recovery keeps: its session-aware adapter stores every
 * broadcast in `packets` (socket.io-adapter, SessionAwareAdapter), which is not part of its typed API.
 */
function recoveryPackets(io: { of(nsp: string): { adapter: object } }): number | undefined {
  const packets = (io.of('/').adapter as { packets?: unknown }).packets;
  return Array.isArray(packets) ? packets.length : undefined;
}

/**
 * `BENCH_RELAY_BUFFER=messages/seconds` (e.g. `0/0`): another reconnect buffer than the default, to see what
 * keeping relayed ciphertext costs. The output's relay line says which was used.
 */
function bufferOverride(env: NodeJS.ProcessEnv): { bufferMaxMessages: number; bufferTtlSeconds: number } | undefined {
  const raw = env.BENCH_RELAY_BUFFER;
  if (raw === undefined || raw === '') return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  if (!m) throw new Error(`BENCH_RELAY_BUFFER must be messages/seconds (e.g. 500/120), not ${raw}`);
  return { bufferMaxMessages: Number(m[1]), bufferTtlSeconds: Number(m[2]) };
}

async function main(): Promise<void> {
  const cluster = clusterSettings(process.env);
  const config = defaultConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir: IN_MEMORY,
    logLevel: 'warn',
    rateLimit: BENCH_RATE_LIMIT,
    ...bufferOverride(process.env),
    ...(cluster ? { databaseUrl: cluster.databaseUrl, redisUrl: cluster.redisUrl, redisKeyPrefix: cluster.redisPrefix } : {}),
  });
  // buildApp leaves a storage it was given open: this child closes it after the app.
  let storage: Storage | undefined;
  if (cluster) {
    const { createPostgresStorage } = await import('../src/storage/postgresStorage');
    storage = createPostgresStorage({ connectionString: cluster.databaseUrl, schema: cluster.schema });
    await storage.migrate();
  }
  const kindred = await buildApp(config, storage ? { storage } : {});
  await kindred.app.listen({ port: 0, host: '127.0.0.1' });
  const address = kindred.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
  serveChildIpc({
    stats: () => ({ ...memoryStats(), connections: kindred.io.engine.clientsCount, recoveryPackets: recoveryPackets(kindred.io) }),
    stop: async () => {
      await kindred.close();
      await storage?.close();
    },
  });
  // Socket.IO's connection-state recovery is on when its adapter keeps packets (the in-memory session-aware one).
  const recovery = recoveryPackets(kindred.io) !== undefined ? ', Socket.IO connection-state recovery on' : '';
  const where = cluster ? 'PostgreSQL (own schema) + Redis adapter (own key prefix)' : `${kindred.storage.dialect} (in memory)`;
  reportReady(
    address.port,
    `buildApp, storage ${where}, rate limit ${BENCH_RATE_LIMIT.perSecond}/s per connection (raised for the benchmark), reconnect buffer ${config.bufferMaxMessages} messages / ${config.bufferTtlSeconds} s / ${config.bufferMaxBytes} bytes${recovery}`,
  );
}

main().catch((err: unknown) => {
  reportFailed(err);
  console.error(err);
  process.exit(1);
});
