/**
 * buildApp: the relay as an object, apart from listen (fastify's testing guide), so tests run the real thing on
 * port 0 or through inject. Fastify serves HTTP (health, metrics, the web client); Socket.IO shares its HTTP
 * server; the relay's event handlers (server/src/relay/) are attached by registerRelay.
 */
import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { Server as SocketIOServer } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@kindred/shared/protocol';
import type { Config } from './config';
import { createLogger } from './logger';
import { createMetrics, type Metrics } from './metrics';
import { registerSecurityHeaders } from './securityHeaders';
import { registerErrorHandlers, registerZodValidation, sendError } from './httpErrors';
import { registerHealth, NoQuery } from './health';
import { registerStaticClient } from './staticClient';
import { openStorage } from './storage/createStorage';
import type { Storage } from './storage/storage';
import { registerRelay } from './relay';
import type { InterNodeEvents, RelayDeps, RelayHandle, RelaySocketData } from './relay';
import { shardedAdapter } from './relay/shardedAdapter';
import { connectRedis, type RedisClient } from './redisClient';

export type KindredIo = SocketIOServer<ClientToServerEvents, ServerToClientEvents, InterNodeEvents, RelaySocketData>;

export interface BuildAppOptions {
  /** Use this storage instead of opening the configured one; the caller keeps it (close() leaves it open). */
  storage?: Storage;
  /** Where log lines go (default stdout): tests capture them, e.g. to check that no plaintext is ever logged. */
  logStream?: DestinationStream;
  /** Milliseconds clock for the relay (tests). */
  now?: () => number;
  /** When coalesced sealed keys leave (default: when the event loop's turn ends, setImmediate); tests hold them. */
  deferSealedFlush?: (flush: () => void) => void;
}

export interface KindredApp {
  app: FastifyInstance;
  io: KindredIo;
  /** The storage in use, counting stored roster entries into the metrics. */
  storage: Storage;
  metrics: Metrics;
  relay: RelayHandle;
  log: Logger;
  /** Disconnects every socket, stops the HTTP server and closes storage (if buildApp opened it). Idempotent. */
  close(): Promise<void>;
}

export async function buildApp(config: Config, opts: BuildAppOptions = {}): Promise<KindredApp> {
  const log = createLogger(config, opts.logStream);
  const metrics = createMetrics();
  const ownStorage = opts.storage === undefined;
  const rawStorage =
    opts.storage ?? (await openStorage(config, { onIdleError: (e) => log.warn({ err: e.name }, 'idle database connection failed') }));
  const storage = countingRosterEntries(rawStorage, metrics);

  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger, // pino's Logger, seen as the base type the plugins expect
    // Fastify's per-request lines would carry URLs; onResponse below logs the route pattern instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxPayloadBytes,
    trustProxy: config.trustProxy,
    // Request ids are ours (a counter), never taken from a client header.
    requestIdHeader: false,
    // A URL Fastify cannot decode (FST_ERR_BAD_URL) gets the catalogue's body, never Fastify's, which echoes the URL.
    frameworkErrors: (_error, _request, reply) => {
      void sendError(reply, 400, 'BAD_REQUEST');
    },
  });
  registerZodValidation(app);
  registerErrorHandlers(app);
  registerSecurityHeaders(app, config);
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug({ req: request, res: reply, ms: Math.round(reply.elapsedTime) }, 'request');
  });

  registerHealth(app, storage);
  app.get('/metrics', { schema: { querystring: NoQuery } }, async (_request, reply) =>
    reply.type(metrics.contentType).send(await metrics.render()),
  );
  await registerStaticClient(app, config);

  const io: KindredIo = new SocketIOServer(app.server, {
    path: '/socket.io',
    transports: ['websocket', 'polling'],
    serveClient: false,
    // Ciphertext does not compress, and compression beside secrets invites length side channels.
    perMessageDeflate: false,
    httpCompression: false,
    // Twice the per-event cap: the relay itself answers PAYLOAD_TOO_LARGE for an event over maxPayloadBytes;
    // only a frame far beyond it is cut off by the transport (closing that connection alone).
    maxHttpBufferSize: config.maxPayloadBytes * 2,
    // No Socket.IO connection-state recovery: the relay's own session log (bounded by TTL and count, in memory or in
    // Redis across nodes) gives a returning client what it missed through session.enter { lastSeq }. Recovery kept
    // every broadcast of every session for its whole window with no count bound (docs/BENCHMARKS.md, finding 1),
    // and replayed packets that the client then got a second time from lastSeq.
  });
  // Several nodes: fan-out, serverSideEmit and fetchSockets go through Redis sharded pub/sub (the official adapter:
  // a node hears only the rooms it has sockets in); a client that reconnects to another node resumes there from the
  // shared session log. Two connections: commands and publishing, and the adapter's subscriptions.
  let redis: RedisClient | undefined;
  let subscriber: RedisClient | undefined;
  if (config.redisUrl !== undefined) {
    const target = { url: config.redisUrl, cluster: config.redisCluster, nodeMap: config.redisNodeMap };
    const onError = (e: Error): void => log.warn({ err: e.name }, 'redis connection error');
    try {
      redis = await connectRedis(target, onError);
      subscriber = await connectRedis(target, onError);
    } catch (e) {
      if (redis?.isOpen) await redis.close();
      if (ownStorage) await rawStorage.close();
      throw e;
    }
    io.adapter(await shardedAdapter(redis, subscriber, config.redisKeyPrefix));
  }
  io.on('connection', (socket) => {
    metrics.connection(1);
    socket.on('disconnect', () => metrics.connection(-1));
  });

  const deps: RelayDeps = {
    config,
    storage,
    metrics,
    log: log.child({ module: 'relay' }),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.deferSealedFlush ? { deferSealedFlush: opts.deferSealedFlush } : {}),
    ...(redis && subscriber ? { cluster: { redis, subscriber, keyPrefix: config.redisKeyPrefix } } : {}),
  };
  const relay = registerRelay(io as unknown as SocketIOServer, deps); // registerRelay types the server itself
  await relay.ready;

  // Sockets first: an open WebSocket would keep the HTTP server from closing.
  app.addHook('preClose', async () => {
    relay.close();
    await io.close();
  });
  app.addHook('onClose', async () => {
    // After io.close(): the adapter has unsubscribed and stopped publishing.
    if (subscriber?.isOpen) await subscriber.close();
    if (redis?.isOpen) await redis.close();
    if (ownStorage) await rawStorage.close();
  });

  await app.ready();
  let closing: Promise<void> | undefined;
  return {
    app,
    io,
    storage,
    metrics,
    relay,
    log,
    close: () => (closing ??= app.close()),
  };
}

/** Storage that counts each stored roster entry (kindred_roster_entries_total) whoever stores it. */
function countingRosterEntries(storage: Storage, metrics: Metrics): Storage {
  return {
    get dialect() {
      return storage.dialect;
    },
    migrate: () => storage.migrate(),
    close: () => storage.close(),
    ping: () => storage.ping(),
    async createGroup(input) {
      await storage.createGroup(input);
      metrics.rosterEntry();
    },
    groupExists: (groupId) => storage.groupExists(groupId),
    async appendRosterEntry(input) {
      await storage.appendRosterEntry(input);
      metrics.rosterEntry();
    },
    getRosterEntries: (groupId, sinceEpoch) => storage.getRosterEntries(groupId, sinceEpoch),
    putInvite: (invite) => storage.putInvite(invite),
    getInvite: (groupId, inviteId) => storage.getInvite(groupId, inviteId),
    replaceInviteCard: (groupId, inviteId, card) => storage.replaceInviteCard(groupId, inviteId, card),
    revokeInvite: (groupId, inviteId) => storage.revokeInvite(groupId, inviteId),
  };
}
