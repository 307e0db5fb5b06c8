/**
 * Several relay nodes (docs/SCALING.md): what a node needs beyond its own sockets when KINDRED_REDIS_URL is set.
 *  - Roster: a node that appended an entry tells the others (io.serverSideEmit through the Redis adapter) and waits
 *    until each has read it from storage and applied it to its own sockets, so that a mute, removal, ban or lock is
 *    enforced everywhere before the facilitator's request is answered.
 *  - Session logs (relay seq, reconnect buffers, sealed keys, away markers) in Redis: redisSessionLog.ts.
 *  - Presence and the waiting room: the sockets themselves, through fetchSockets (sessionDirectory.ts).
 * Nothing here runs on a single node: registerRelay builds it only when the app has a Redis client.
 */
import type { createAdapter } from '@socket.io/redis-streams-adapter';
import type { RedisClient } from '../redisClient';
import type { RelayServer } from './context';
import type { RelayLog } from './deps';
import { RedisSessionLogs } from './redisSessionLog';
import type { BufferLimits, SessionLogs } from './sessionLog';

/** The adapter's stream is trimmed to this age at least, whatever the buffer TTL (a lagging node must not lose fan-out). */
const MIN_STREAM_AGE_MS = 60_000;

export interface ClusterDeps {
  redis: RedisClient;
  /** Prefix of every key (config.redisKeyPrefix). */
  keyPrefix: string;
}

export interface RelayCluster {
  readonly logs: SessionLogs;
  /** Tells the other nodes that `groupId` has an entry at `epoch`; resolves once they applied it or timed out. */
  rosterAppended(groupId: string, epoch: number): Promise<void>;
  /** Housekeeping: trims the adapter's stream (it holds relayed ciphertext on its way to the other nodes) to the buffer TTL. */
  sweep(): Promise<void>;
}

type AdapterFactory = ReturnType<typeof createAdapter>;
/** The adapter's entry as read from the stream, before it decodes it (`uid` is the node that wrote it). */
interface RawEntry {
  uid?: unknown;
}
interface RawEntryHandler {
  uid: string;
  onRawMessage(raw: RawEntry, offset: string): void;
}

/**
 * The official Redis streams adapter (loaded only when a node has Redis), with one change: every node reads every
 * entry of the stream, its own included, and the adapter decodes each one (a JSON.parse of the relayed envelope)
 * before it finds that it wrote it itself and drops it. A node skips its own entries before that decode; what the
 * adapter does with every other entry is unchanged.
 */
export async function streamsAdapter(redis: RedisClient, keyPrefix: string): Promise<AdapterFactory> {
  const { createAdapter } = await import('@socket.io/redis-streams-adapter');
  const factory = createAdapter(redis, {
    ...adapterNames(keyPrefix),
    // Relayed payloads are JSON (base64url strings): skip the adapter's binary scan of every message.
    onlyPlaintext: true,
    // A shorter blocking read lets a closing node let go of Redis sooner; data still arrives at once.
    blockTimeInMs: 1000,
  });
  // Socket.IO calls the factory with `new`: a function, not an arrow (the object it returns is the adapter).
  return function ownEntriesSkipped(nsp) {
    const adapter = factory(nsp);
    const handler = adapter as unknown as RawEntryHandler; // the instance's own method, patched on this instance only
    const decodeAndHandle = handler.onRawMessage.bind(adapter);
    handler.onRawMessage = (raw, offset) => {
      if (raw.uid === handler.uid) return; // the adapter would decode it, then ignore it as "from self"
      decodeAndHandle(raw, offset);
    };
    return adapter;
  };
}

/** Names of the adapter's stream, channels and session keys under the prefix (app.ts configures the adapter). */
export function adapterNames(keyPrefix: string): { streamName: string; channelPrefix: string; sessionKeyPrefix: string } {
  return { streamName: `${keyPrefix}sio`, channelPrefix: `${keyPrefix}sio`, sessionKeyPrefix: `${keyPrefix}sio:session:` };
}

export function createRedisCluster(io: RelayServer, deps: ClusterDeps, limits: BufferLimits, log: RelayLog): RelayCluster {
  const { redis, keyPrefix } = deps;
  const { streamName } = adapterNames(keyPrefix);
  return {
    logs: new RedisSessionLogs(redis, keyPrefix, limits),
    async rosterAppended(groupId, epoch) {
      try {
        // Waits for one answer per other node (counted by the adapter), or rejects after its request timeout (5 s).
        await io.serverSideEmitWithAck('roster.appended', { groupId, epoch });
      } catch (e) {
        // Some node did not confirm in time (dying, partitioned): it catches up from storage when next used (every
        // session.enter, roster.get, invite.open and roster.append reads the entries it lacks first).
        log.warn({ err: e instanceof Error ? e.name : 'unknown', epoch }, 'a relay node did not confirm a roster entry');
      }
    },
    async sweep() {
      const [seconds, micros] = await redis.time().then((t) => t.map(Number) as [number, number]);
      const redisNow = seconds * 1000 + Math.floor(micros / 1000);
      const minId = redisNow - Math.max(limits.ttlMs, MIN_STREAM_AGE_MS);
      await redis.xTrim(streamName, 'MINID', minId, { strategyModifier: '~' });
    },
  };
}
