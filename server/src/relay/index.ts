/**
 * The relay's socket logic, attached to the app's Socket.IO server by buildApp: every client event goes through
 * one dispatcher (validation.ts) to one handler per event, grouped by feature (auth, groups, sessions, relay).
 */
import type { Server } from 'socket.io';
import { initCrypto } from '@kindred/shared/crypto';
import type { Connection, RelayContext, RelayServer, RelaySocket } from './context';
import type { RelayDeps } from './deps';
import { GroupRegistry } from './groupState';
import { TokenBucket } from './rateLimit';
import { authChallenge, authProve } from './auth';
import { groupCreate, inviteCreate, inviteOpen, inviteRevoke, rosterAppend, rosterGet } from './groups';
import { handleDisconnect, sessionEnter, sessionLeave } from './sessions';
import { directSend, keysDistribute, messageSend } from './relay';
import { attachDispatcher, type HandlerTable } from './validation';

export type { RelayDeps, RelayLimits, RelayMetrics, RelayLog } from './deps';
export type { RelayServer, RelaySocket, RelaySocketData } from './context';

const handlers: HandlerTable = {
  'auth.challenge': authChallenge,
  'auth.prove': authProve,
  'group.create': groupCreate,
  'invite.create': inviteCreate,
  'invite.revoke': inviteRevoke,
  'invite.open': inviteOpen,
  'roster.get': rosterGet,
  'roster.append': rosterAppend,
  'session.enter': sessionEnter,
  'session.leave': sessionLeave,
  'keys.distribute': keysDistribute,
  'message.send': messageSend,
  'direct.send': directSend,
};

export interface RelayHandle {
  /** Resolves once the protocol core is ready (libsodium loaded); events wait for it. */
  ready: Promise<void>;
  readonly groups: GroupRegistry;
}

export function registerRelay(server: Server, deps: RelayDeps): RelayHandle {
  const io = server as unknown as RelayServer; // the same server, typed by the event catalogue
  const now = deps.now ?? Date.now;
  const { bufferTtlSeconds, bufferMaxMessages, rateLimit } = deps.config;
  // A TTL of 0 turns the reconnect buffer off: keep nothing.
  const groups = new GroupRegistry(deps.storage, { ttlMs: bufferTtlSeconds * 1000, maxItems: bufferTtlSeconds === 0 ? 0 : bufferMaxMessages });
  const relay: RelayContext = { io, deps, groups, now };
  const ready = initCrypto();
  ready.catch((err: unknown) => deps.log.error({ err: err instanceof Error ? err.name : 'unknown' }, 'crypto init failed'));

  io.on('connection', (socket: RelaySocket) => {
    if (socket.recovered) {
      // Socket.IO's connection-state recovery restored the rooms, but this node dropped the socket's presence
      // when it went away: leave them, so the client re-enters (session.enter with lastSeq) and state agrees.
      for (const room of socket.rooms) if (room !== socket.id) void socket.leave(room);
    }
    const conn: Connection = {
      socket,
      bucket: new TokenBucket(rateLimit.perSecond, rateLimit.burst, now()),
      challenge: null,
      openedInvites: new Map(),
      groups: new Set(),
    };
    attachDispatcher(relay, conn, handlers, ready);
    socket.on('disconnect', () => handleDisconnect(relay, socket, conn.groups));
  });
  return { ready, groups };
}
