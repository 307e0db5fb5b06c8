/**
 * What a relay node shares with the other nodes, behind one interface (as Socket.IO keeps handlers unaware of its
 * adapter): the relay always has a cluster, and handlers never ask which one.
 *  - One node (localCluster.ts): session logs in memory, presence in this node's maps; there is no one to tell or to
 *    catch up with, so those calls do nothing and Redis is never touched.
 *  - Several nodes (redisCluster.ts, when KINDRED_REDIS_URL is set; docs/SCALING.md): session logs in Redis, presence
 *    read from every node's sockets, roster entries announced to the other nodes and read back from storage.
 */
import type { GroupState } from './groupState';
import type { SessionDirectory } from './sessionDirectory';
import type { SessionLogs } from './sessionLog';

export interface RelayCluster {
  /** Relay seq, reconnect buffers, sealed keys, away markers: in memory, or in Redis for every node. */
  readonly logs: SessionLogs;
  /** Who is present and waiting in a live session: this node's maps, or every node's sockets. */
  readonly directory: SessionDirectory;
  /**
   * Reads the roster entries of `group` that other nodes appended and this node lacks, and applies them (takes the
   * group's lock). Storage is the truth: a node may have missed a notice (pub/sub is at most once).
   */
  catchUp(group: GroupState): Promise<void>;
  /**
   * Tells the other nodes that `groupId` has an entry at `epoch` (taking `evict` out of its sessions, if set);
   * resolves once they applied it or timed out.
   */
  rosterAppended(groupId: string, epoch: number, evict: string | undefined): Promise<void>;
  /**
   * `lost` runs (synchronously) as soon as a connection to Redis drops, `restored` once every one is back: whatever
   * a node heard from the others may have been lost in between (pub/sub is at most once).
   */
  watchConnection(handlers: { lost(): void; restored(): void }): void;
  /**
   * Resolves once this node's subscriptions to the channels of `rooms` (joined just before) are in effect in Redis,
   * so that whatever is published on those rooms from then on reaches this node.
   */
  subscribed(rooms: readonly string[]): Promise<void>;
}
