/** Types shared by the relay's feature modules: the relay's state on this node, per-connection state, one request. */
import type { RelayDeps } from './deps';
import type { GroupRegistry } from './groupState';
import type { TokenBucket } from './rateLimit';
import type { SealedOutbox } from './sealedOutbox';
import type { RelayCluster } from './cluster';
import type { RelayServer, RelaySocket } from './socketTypes';

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
  /** What this node shares with the others: the local cluster on a single node (no Redis call is ever made). */
  readonly cluster: RelayCluster;
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
