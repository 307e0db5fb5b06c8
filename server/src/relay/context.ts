/** Types shared by the relay's feature modules: the typed Socket.IO server, per-connection state, room names. */
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, ServerToClientEvents } from '@kindred/shared/protocol';
import type { RelayDeps } from './deps';
import type { GroupRegistry } from './groupState';
import type { TokenBucket } from './rateLimit';

/** What the relay keeps on `socket.data`: only the authenticated member id (visible to other nodes via the adapter). */
export interface RelaySocketData {
  member?: string;
}

export type RelayServer = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, RelaySocketData>;
export type RelaySocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, RelaySocketData>;

/** Node-local state of one connection. */
export interface Connection {
  readonly socket: RelaySocket;
  readonly bucket: TokenBucket;
  /** The pending auth challenge: single use, short-lived. */
  challenge: { value: string; expiresAt: number } | null;
  /** Groups whose invite this connection opened with a valid gate token (may read the roster, may knock). */
  readonly openedInvites: Map<string, string>;
  /** Groups this connection entered (joined or waiting), for cleanup on leave and disconnect. */
  readonly groups: Set<string>;
}

export interface RelayContext {
  readonly io: RelayServer;
  readonly deps: RelayDeps;
  readonly groups: GroupRegistry;
  now(): number;
}

/** One request being handled: who sent it, on which connection. */
export interface Call {
  readonly relay: RelayContext;
  readonly conn: Connection;
  readonly socket: RelaySocket;
  /** The authenticated member; handlers run only once it is set, except the auth events. */
  readonly member: string;
  /** Serialized size of the request (already measured against the payload cap). */
  readonly requestBytes: number;
}

/**
 * Room names. Group and session ids are both in every session room name: a session id is chosen by a facilitator,
 * so two groups could name the same id, and their rooms must never meet.
 */
export const rooms = {
  group: (groupId: string) => `grp:${groupId}`,
  session: (groupId: string, sessionId: string) => `sess:${groupId}:${sessionId}`,
  waiting: (groupId: string, sessionId: string) => `wait:${groupId}:${sessionId}`,
  /**
   * Every socket of one member in one group (joined, waiting, or following the roster): targeted pushes and
   * evictions. One session is open per group at a time, so no session id is needed.
   */
  member: (groupId: string, member: string) => `mem:${groupId}:${member}`,
};
