/**
 * The relay's Socket.IO server and sockets, typed by the event catalogue: the client events, what the relay keeps on
 * each socket, and the events between nodes.
 */
import type { Server, Socket } from 'socket.io';
import type { ClientToServerEvents, Knock, ServerToClientEvents, SignedSessionKey } from '@kindred/shared/protocol';

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
