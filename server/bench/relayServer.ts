/**
 * The relay under test, run as a child process of the benchmark: the real `buildApp(config)` on 127.0.0.1, port 0,
 * in-memory SQLite, default limits except the per-connection rate limit, which is raised so that the benchmark
 * measures the relay's capacity and not the flood control (a few hundred senders at tens of messages per second
 * each would otherwise be refused by design). Logs at warn: the relay logs nothing per message anyway.
 */
import { buildApp } from '../src/app';
import { defaultConfig, IN_MEMORY } from '../src/config';
import { memoryStats, reportFailed, reportReady, serveChildIpc } from './serverIpc';

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

async function main(): Promise<void> {
  const config = defaultConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir: IN_MEMORY,
    logLevel: 'warn',
    rateLimit: BENCH_RATE_LIMIT,
  });
  const kindred = await buildApp(config);
  await kindred.app.listen({ port: 0, host: '127.0.0.1' });
  const address = kindred.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('relay: no TCP address');
  serveChildIpc({
    stats: () => ({ ...memoryStats(), connections: kindred.io.engine.clientsCount, recoveryPackets: recoveryPackets(kindred.io) }),
    stop: () => kindred.close(),
  });
  const recovery = config.bufferTtlSeconds > 0 ? `, connection-state recovery ${config.bufferTtlSeconds} s` : '';
  reportReady(
    address.port,
    `buildApp, storage ${kindred.storage.dialect} (in memory), rate limit ${BENCH_RATE_LIMIT.perSecond}/s per connection (raised for the benchmark), reconnect buffer ${config.bufferMaxMessages} messages / ${config.bufferTtlSeconds} s${recovery}`,
  );
}

main().catch((err: unknown) => {
  reportFailed(err);
  console.error(err);
  process.exit(1);
});
