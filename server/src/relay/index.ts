/**
 * The relay's socket logic, attached to the app's Socket.IO server by buildApp: every client event goes through
 * one dispatcher (dispatcher.ts) to one handler per event, grouped by feature (auth, groups, sessions, relay).
 */
import type { Server } from 'socket.io';
import { initCrypto } from '@kindred/shared/crypto';
import type { Connection, RelayContext } from './context';
import { rooms } from './rooms';
import type { RelayServer, RelaySocket } from './socketTypes';
import type { RelayDeps } from './deps';
import { GroupRegistry, type GroupState } from './groupState';
import type { RelayCluster } from './cluster';
import { localCluster } from './localCluster';
import { createRedisCluster } from './redisCluster';
import { applyStoredEntries } from './rosterEffects';
import { TokenBucket } from './rateLimit';
import { authChallenge, authProve } from './auth';
import { groupCreate, inviteCreate, inviteOpen, inviteCard, inviteRevoke, rosterAppend, rosterGet } from './groups';
import { handleDisconnect, sessionEnter, sessionLeave } from './sessions';
import { directSend, keysDistribute, messageSend, peerSend } from './relay';
import { SealedOutbox } from './sealedOutbox';
import { attachDispatcher, readiness, type HandlerTable } from './dispatcher';
import { protocolGate } from './protocolGate';

export type { ClusterDeps, RelayDeps, RelayLimits, RelayMetrics, RelayLog } from './deps';
export type { RelayServer, RelaySocket, RelaySocketData, InterNodeEvents } from './socketTypes';

const handlers: HandlerTable = {
  'auth.challenge': authChallenge,
  'auth.prove': authProve,
  'group.create': groupCreate,
  'invite.create': inviteCreate,
  'invite.revoke': inviteRevoke,
  'invite.card': inviteCard,
  'invite.open': inviteOpen,
  'roster.get': rosterGet,
  'roster.append': rosterAppend,
  'session.enter': sessionEnter,
  'session.leave': sessionLeave,
  'keys.distribute': keysDistribute,
  'message.send': messageSend,
  'direct.send': directSend,
  'peer.send': peerSend,
};

/**
 * Resume requests (session.enter with lastSeq) per connection: RESUME_BURST at once, then one per RESUME_INTERVAL_MS.
 * A client resumes once per reconnect (a new connection) and retries a failed resume a few times; replaying the
 * buffer to a connection that asks again and again is refused RATE_LIMITED.
 */
export const RESUME_BURST = 4;
export const RESUME_INTERVAL_MS = 10_000;

/** How long a group stays loaded with nothing of it on this node before the idle sweep unloads it. */
export const IDLE_GROUP_MS = 10 * 60_000;
/** How often the idle sweep runs. */
export const SWEEP_INTERVAL_MS = 60_000;

export interface RelayHandle {
  /** Resolves once the protocol core is ready (libsodium loaded); events wait for it. */
  ready: Promise<void>;
  readonly groups: GroupRegistry;
  /** Unloads groups idle for the configured time (the timer calls it; tests call it with a moved clock). */
  sweepIdleGroups(): number;
  /** What the timer runs every SWEEP_INTERVAL_MS: the idle sweep. */
  sweep(): Promise<void>;
  /** The node is shutting down: stops the timers and questions to other nodes (buildApp calls it before io.close). */
  close(): void;
}

export function registerRelay(server: Server, deps: RelayDeps): RelayHandle {
  const io = server as unknown as RelayServer; // the same server, typed by the event catalogue
  const now = deps.now ?? Date.now;
  const { bufferTtlSeconds, bufferMaxMessages, bufferMaxBytes, rateLimit } = deps.config;
  // A TTL of 0 turns the reconnect buffer off: keep nothing.
  const limits = { ttlMs: bufferTtlSeconds * 1000, maxItems: bufferTtlSeconds === 0 ? 0 : bufferMaxMessages, maxBytes: bufferMaxBytes };
  // The one place that knows whether there are other nodes; everything else asks the cluster the same way.
  const cluster: RelayCluster = deps.cluster
    ? createRedisCluster(io, deps.cluster, {
        limits,
        log: deps.log,
        closing: () => relay.closing,
        applyStoredEntries: (group) => applyStoredEntries(relay, group),
      })
    : localCluster(limits);
  const groups = new GroupRegistry(deps.storage, limits, { logs: cluster.logs, sessionLive: (delta) => deps.metrics.sessionLive(delta) });
  const outbox = new SealedOutbox((room, sealed) => io.to(room).emit('keys.sealed', { sealed }), deps.deferSealedFlush);
  const relay: RelayContext = { io, deps, groups, cluster, closing: false, inSync: true, outbox, now };
  const ready = initCrypto();
  ready.catch((err: unknown) => deps.log.error({ err: err instanceof Error ? err.name : 'unknown' }, 'crypto init failed'));
  const cryptoReady = readiness(ready);

  io.use(protocolGate);
  io.on('connection', (socket: RelaySocket) => {
    // Out of touch with the shared state: the client is better served by another node, or by this one once it has
    // caught up (socket.io-client reconnects by itself after a transport close, with its back-off).
    if (!relay.inSync) return void socket.conn.close();
    const conn: Connection = {
      socket,
      bucket: new TokenBucket(rateLimit.perSecond, rateLimit.burst, now()),
      resumes: new TokenBucket(1000 / RESUME_INTERVAL_MS, RESUME_BURST, now()),
      challenge: null,
      openedInvites: new Map(),
      groups: new Set(),
    };
    attachDispatcher(relay, conn, handlers, cryptoReady);
    socket.on('disconnect', () => handleDisconnect(relay, socket, conn.groups));
  });
  // Another node appended a roster entry (never heard on a single node: there is no other node to send it).
  io.on('roster.appended', (notice, ack) => {
    const group = relay.groups.peek(notice.groupId);
    // Not loaded here: it is read fresh from storage on first use.
    if (!group) return ack(true);
    if (notice.evict !== undefined) stopPushesTo(relay, group, notice.evict);
    cluster.catchUp(group).then(
      () => ack(true),
      (err: unknown) => {
        deps.log.warn({ err: err instanceof Error ? err.name : 'unknown' }, 'could not apply a roster entry from another node');
        ack(false);
      },
    );
  });
  // Each loss starts a new generation: a resync that finishes after the connection dropped again lets no one in.
  // (A single node has no connection to lose: neither handler ever runs.)
  let generation = 0;
  cluster.watchConnection({
    lost: () => {
      generation += 1;
      lostSharedState(relay);
    },
    restored: () => resync(relay, generation, () => generation),
  });

  const idleMs = deps.idleGroupMs ?? IDLE_GROUP_MS;
  const sweepIdleGroups = (): number => groups.sweepIdle(now(), idleMs, (group) => groupIdle(relay, group));
  const sweep = (): Promise<void> => {
    sweepIdleGroups();
    return Promise.resolve();
  };
  const timer = setInterval(() => {
    sweep().catch((err: unknown) => deps.log.warn({ err: err instanceof Error ? err.name : 'unknown' }, 'housekeeping failed'));
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  const close = (): void => {
    relay.closing = true;
    clearInterval(timer);
  };
  return { ready, groups, sweepIdleGroups, sweep, close };
}

/**
 * Synchronously takes one member's sockets on this node out of the group's rooms (not its member room: the eviction
 * that follows still tells it why). The adapter delivers what other nodes sent after the notice only after this.
 */
function stopPushesTo(relay: RelayContext, group: GroupState, member: string): void {
  const { groupId } = group;
  const live = group.session;
  const leave = [rooms.group(groupId)];
  if (live) leave.push(live.room, rooms.waiting(groupId, live.id));
  relay.io.local.in(rooms.member(groupId, member)).socketsLeave(leave);
}

/**
 * The connection to Redis dropped: roster notices may be lost from now on, so this node can no longer vouch that its
 * sockets hear only what their roster allows. It closes every client connection (each client reconnects and resumes
 * with lastSeq, here once this node has caught up, or on another node) and refuses new ones until resync() is done.
 */
function lostSharedState(relay: RelayContext): void {
  relay.inSync = false;
  relay.deps.log.warn({}, 'lost the shared state: clients disconnected until it is back and every group is read again');
  for (const socket of relay.io.sockets.sockets.values()) socket.conn.close();
}

/** How long resync() waits before reading storage again after a failure. */
const RESYNC_RETRY_MS = 1000;

/** Back in touch with Redis: every group this node holds is read again from storage before clients are let in. */
function resync(relay: RelayContext, generation: number, current: () => number): void {
  const attempt = async (): Promise<void> => {
    for (const group of relay.groups.loaded()) await relay.cluster.catchUp(group);
  };
  const run = (): void => {
    if (current() !== generation || relay.closing) return;
    attempt().then(
      () => {
        if (current() !== generation) return;
        relay.inSync = true;
        relay.deps.log.info({}, 'shared state back: every group read again');
      },
      (err: unknown) => {
        relay.deps.log.warn({ err: err instanceof Error ? err.name : 'unknown' }, 'resync failed; trying again');
        setTimeout(run, RESYNC_RETRY_MS).unref();
      },
    );
  };
  run();
}

/**
 * No socket of this node is in the group's rooms and no live session needs this node's memory: with one node an
 * open session keeps its seq and buffers here, so it stays; with a shared log nothing is lost by unloading.
 */
function groupIdle(relay: RelayContext, group: GroupState): boolean {
  const local = relay.io.sockets.adapter.rooms;
  if (local.has(rooms.group(group.groupId))) return false;
  const live = group.session;
  if (!live) return true;
  if (!live.log.shared) return false;
  return live.present.size === 0 && live.waiting.size === 0 && !local.has(live.room) && !local.has(rooms.waiting(group.groupId, live.id));
}
