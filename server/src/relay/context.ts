/** Types shared by the relay's feature modules: the typed Socket.IO server, per-connection state, room names. */
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, Knock, ServerToClientEvents, SignedSessionKey } from '@kindred/shared/protocol';
import type { RelayDeps } from './deps';
import type { GroupRegistry } from './groupState';
import type { TokenBucket } from './rateLimit';
import type { SealedOutbox } from './sealedOutbox';
import type { SessionDirectory } from './sessionDirectory';
import type { RelayCluster } from './cluster';

/** This socket's place in one group's live session: present with its session key, or waiting with its knock. */
export interface SessionPlace {
  sessionId: string;
  sessionKey: SignedSessionKey;
  /** Set while the socket waits to be admitted. */
  knock?: Knock;
}

/**
 * What the relay keeps on `socket.data`: the authenticated member id and, per group, the socket's place in the live
 * session. Other nodes read both through the adapter (fetchSockets): that is how presence and the waiting room are
 * seen across nodes. Only opaque ids and signed public objects.
 */
export interface RelaySocketData {
  member?: string;
  live?: Record<string, SessionPlace>;
}

/** Between relay nodes (io.serverSideEmit through the Redis adapter). */
export interface InterNodeEvents {
  /**
   * A node appended a roster entry at `epoch`: the others read it from storage and apply it to their sockets.
   * `evict` names the member it takes out of the group's sessions: a node stops pushing to that member's sockets at
   * once, before it reads storage, so that nothing the adapter delivers after the notice reaches them.
   */
  'roster.appended': (notice: { groupId: string; epoch: number; evict?: string }, ack: (done: boolean) => void) => void;
}

export type RelayServer = Server<ClientToServerEvents, ServerToClientEvents, InterNodeEvents, RelaySocketData>;
export type RelaySocket = Socket<ClientToServerEvents, ServerToClientEvents, InterNodeEvents, RelaySocketData>;

/** Node-local state of one connection. */
export interface Connection {
  readonly socket: RelaySocket;
  readonly bucket: TokenBucket;
  /** session.enter with lastSeq (a resume replays the buffer): a few at once, then one per RESUME_INTERVAL_MS. */
  readonly resumes: TokenBucket;
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
  /** Who is present and waiting in a live session: this node's maps, or every node's sockets. */
  readonly directory: SessionDirectory;
  /** Set when several nodes share state through Redis; null on a single node (no Redis call is ever made). */
  readonly cluster: RelayCluster | null;
  /** Set when the node shuts down: no more questions to other nodes (the Redis client is about to close). */
  closing: boolean;
  /**
   * False while this node's connection to the shared state is lost, and until it has re-read every group it holds
   * afterwards: its clients are disconnected and new connections closed meanwhile (always true on a single node).
   */
  inSync: boolean;
  /** Sealed keys on their way, one push per recipient per turn (sealedOutbox.ts). */
  readonly outbox: SealedOutbox;
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
