/**
 * Several relay nodes (docs/SCALING.md): what a node needs beyond its own sockets when KINDRED_REDIS_URL is set.
 *  - Roster: a node that appended an entry tells the others (io.serverSideEmit through the Redis adapter) and waits
 *    until each has read it from storage and applied it to its own sockets, so that a mute, removal, ban or lock is
 *    enforced everywhere before the facilitator's request is answered.
 *  - Session logs (relay seq, reconnect buffers, sealed keys, away markers) in Redis: redisSessionLog.ts.
 *  - Presence and the waiting room: the sockets themselves, through fetchSockets (sessionDirectory.ts).
 * registerRelay builds it when the app has a Redis client; a single node has the local cluster instead.
 */
import { KindredError } from '@kindred/shared/errors';
import { isCluster } from '../redisClient';
import type { BufferLimits } from './bufferLimits';
import type { RelayCluster } from './cluster';
import type { ClusterDeps, RelayLog } from './deps';
import type { GroupState } from './groupState';
import { RedisSessionLogs } from './redisSessionLog';
import { clusterDirectory } from './sessionDirectory';
import { roomChannel } from './shardedAdapter';
import type { RelayServer } from './socketTypes';

/** What the Redis cluster needs from the relay besides the Redis connections. */
export interface RedisClusterOptions {
  limits: BufferLimits;
  log: RelayLog;
  /** True once the node shuts down: no more questions to other nodes (the Redis client is about to close). */
  closing(): boolean;
  /** Reads from storage the roster entries of `group` this node lacks and applies them (rosterEffects.ts). */
  applyStoredEntries(group: GroupState): Promise<void>;
}

export function createRedisCluster(io: RelayServer, deps: ClusterDeps, options: RedisClusterOptions): RelayCluster {
  const { redis, subscriber, keyPrefix } = deps;
  const { log } = options;
  let barriers = 0;
  const noListener = (): void => undefined;
  return {
    logs: new RedisSessionLogs(redis, keyPrefix, options.limits),
    directory: clusterDirectory(io, options.closing),
    catchUp: (group) => options.applyStoredEntries(group),
    async rosterAppended(groupId, epoch, evict) {
      try {
        // Waits for one answer per other node (counted by the adapter), or rejects after its request timeout (5 s).
        await io.serverSideEmitWithAck('roster.appended', evict === undefined ? { groupId, epoch } : { groupId, epoch, evict });
      } catch (e) {
        // Some node did not confirm in time (dying, partitioned): it catches up from storage when next used (every
        // session.enter, roster.get, invite.open and roster.append reads the entries it lacks first).
        log.warn({ err: e instanceof Error ? e.name : 'unknown', epoch }, 'a relay node did not confirm a roster entry');
      }
    },
    async subscribed(rooms) {
      // The adapter subscribes when a room is created on this node and does not wait for Redis. A subscription of
      // our own on a throw-away channel of the same slot (its hash tag is the room channel's whole name, which has
      // no braces) goes over the same connection after it, and Redis answers a connection in order: when ours is
      // confirmed, the room's is in effect.
      await Promise.all(
        rooms.map(async (room) => {
          const barrier = `{${roomChannel(keyPrefix, room)}}:subscribed:${++barriers}`;
          try {
            await subscriber.sSubscribe(barrier, noListener);
          } catch (e) {
            throw new KindredError('UNAVAILABLE', 'shared fan-out', { cause: e });
          } finally {
            // Nobody waits for this one: the answer to the entry need not.
            subscriber.sUnsubscribe(barrier, noListener).catch(() => undefined);
          }
        }),
      );
    },
    watchConnection({ lost, restored }) {
      // A client emits 'reconnecting' right after its socket dropped (before any retry); a cluster client says the
      // same per shard. That is the moment notices may start to be lost. Whether every connection is usable again is
      // read from the clients themselves, polled until it is (a missed or reordered event cannot leave a node out).
      let polling: ReturnType<typeof setInterval> | undefined;
      const allReady = (): boolean => [redis, subscriber].every((c) => (isCluster(c) ? c.masters.every((m) => m.client?.isReady === true) : c.isReady));
      const drop = (): void => {
        if (polling) return;
        polling = setInterval(() => {
          if (!allReady()) return;
          clearInterval(polling);
          polling = undefined;
          restored();
        }, RESTORED_POLL_MS);
        polling.unref();
        // Inside the client's own event: whatever goes wrong here must not stop it from reconnecting.
        try {
          lost();
        } catch (e) {
          log.error({ err: e instanceof Error ? e.name : 'unknown' }, 'handling a lost Redis connection failed');
        }
      };
      for (const client of [redis, subscriber]) {
        if (isCluster(client)) client.on('node-reconnecting', drop);
        else client.on('reconnecting', drop);
      }
    },
  };
}

/** How often a node that lost a Redis connection looks whether every connection is back. */
const RESTORED_POLL_MS = 100;
