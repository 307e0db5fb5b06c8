/**
 * The Socket.IO adapter of a relay node with Redis (docs/SCALING.md, "Fan-out"), and the name of its channel for a room.
 */
import type { createShardedAdapter } from '@socket.io/redis-adapter';
import type { RedisClient } from '../redisClient';
import { adapterChannelPrefix } from './redisKeys';

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
  const settled = (name: 'sSubscribe' | 'sUnsubscribe') => {
    const method = Reflect.get(sub, name, sub) as (...args: unknown[]) => Promise<unknown>;
    return (...args: unknown[]): Promise<unknown> => {
      const pending = method.apply(sub, args);
      pending.catch(() => undefined);
      return pending;
    };
  };
  const own = { sSubscribe: settled('sSubscribe'), sUnsubscribe: settled('sUnsubscribe') };
  return new Proxy(sub, {
    get(target, prop) {
      if (prop === 'sSubscribe' || prop === 'sUnsubscribe') return own[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The adapter's channel every node subscribes to (`<channelPrefix>#<namespace>#`): serverSideEmit (roster notices),
 * fetchSockets and broadcasts to several rooms.
 */
export function sharedChannel(keyPrefix: string): string {
  return `${adapterChannelPrefix(keyPrefix)}#/#`;
}

/** The adapter's channel for `room` (the sharded adapter's naming: `<channelPrefix>#<namespace>#<room>#`). */
export function roomChannel(keyPrefix: string, room: string): string {
  return `${sharedChannel(keyPrefix)}${room}#`;
}
