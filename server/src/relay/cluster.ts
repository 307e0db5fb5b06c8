/**
 * Several relay nodes (docs/SCALING.md): what a node needs beyond its own sockets when KINDRED_REDIS_URL is set.
 *  - Roster: a node that appended an entry tells the others (io.serverSideEmit through the Redis adapter) and waits
 *    until each has read it from storage and applied it to its own sockets, so that a mute, removal, ban or lock is
 *    enforced everywhere before the facilitator's request is answered.
 *  - Session logs (relay seq, reconnect buffers, sealed keys, away markers) in Redis: redisSessionLog.ts.
 *  - Presence and the waiting room: the sockets themselves, through fetchSockets (sessionDirectory.ts).
 * Nothing here runs on a single node: registerRelay builds it only when the app has a Redis client.
 */
import type { createShardedAdapter } from '@socket.io/redis-adapter';
import { KindredError } from '@kindred/shared/errors';
import { isCluster, type RedisClient } from '../redisClient';
import type { RelayServer } from './socketTypes';
import type { ClusterDeps, RelayLog } from './deps';
import { adapterChannelPrefix } from './redisKeys';
import { RedisSessionLogs } from './redisSessionLog';
import type { BufferLimits } from './bufferLimits';
import type { SessionLogs } from './sessionLog';

export interface RelayCluster {
  readonly logs: SessionLogs;
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

/**
 * The official Redis adapter in its sharded mode (Redis 7 sharded pub/sub, SPUBLISH/SSUBSCRIBE; loaded only when a
 * node has Redis). "dynamic": a node subscribes to a room's channel when the room gets its first socket on that node
 * and unsubscribes when it loses its last, so a broadcast to one room reaches only the nodes with members in it.
 * serverSideEmit, fetchSockets and broadcasts to several rooms use one channel every node subscribes to; a room per
 * socket id gets no channel of its own (the relay never emits to one). Pub/sub stores nothing in Redis.
 * `pub` also carries the relay's commands; `sub` is a connection of the adapter's own (a subscribed connection can
 * send nothing else), closed by the caller after Socket.IO.
 */
export async function shardedAdapter(pub: RedisClient, sub: RedisClient, keyPrefix: string): Promise<ReturnType<typeof createShardedAdapter>> {
  const { createShardedAdapter } = await import('@socket.io/redis-adapter');
  // roomChannel below follows the adapter's naming of these channels.
  return createShardedAdapter(pub, settledSubscriptions(sub), { channelPrefix: adapterChannelPrefix(keyPrefix), subscriptionMode: 'dynamic' });
}

/**
 * The adapter subscribes and unsubscribes as rooms come and go on this node, and drops the promise: while Redis is
 * unreachable (a node closing its clients' connections then deletes every room) each would reject unhandled and stop
 * the process. It gets the subscriber through this view, whose sSubscribe and sUnsubscribe settle their own promise
 * (the node already knows it lost Redis: watchConnection; the client subscribes again by itself when it reconnects).
 * Everything else is the client itself.
 */
function settledSubscriptions(sub: RedisClient): RedisClient {
  return new Proxy(sub, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (prop !== 'sSubscribe' && prop !== 'sUnsubscribe') return method.bind(target);
      return (...args: unknown[]) => {
        const pending = method.apply(target, args);
        if (pending instanceof Promise) pending.catch(() => undefined);
        return pending;
      };
    },
  });
}

/** The adapter's channel for `room` (the sharded adapter's naming: `<channelPrefix>#<namespace>#<room>#`). */
export function roomChannel(keyPrefix: string, room: string): string {
  return `${adapterChannelPrefix(keyPrefix)}#/#${room}#`;
}

export function createRedisCluster(io: RelayServer, deps: ClusterDeps, limits: BufferLimits, log: RelayLog): RelayCluster {
  const { redis, subscriber, keyPrefix } = deps;
  let barriers = 0;
  const noListener = (): void => undefined;
  return {
    logs: new RedisSessionLogs(redis, keyPrefix, limits),
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
