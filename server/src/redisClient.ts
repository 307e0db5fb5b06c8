/**
 * The Redis connections of a relay node (KINDRED_REDIS_URL): one client for commands and publishing (the shared
 * session state, the Socket.IO adapter's SPUBLISH), and one for the adapter's subscriptions (a connection that
 * subscribes can send nothing else). Either is a single Redis or a Redis Cluster (KINDRED_REDIS_CLUSTER), where the
 * client sends each key and each sharded channel to the shard that owns it; every multi-key call of the relay names
 * keys of one hash tag (redisKeys.ts), so it runs on one shard. Start-up fails fast when Redis cannot be reached;
 * once connected, a client reconnects by itself after a Redis restart. The client library is loaded only when a node
 * connects (a single node never does: ~10 MB of heap less to carry and mark).
 */

import type { RedisNodeAddress } from './config';

/** Connection attempts at start-up before the relay gives up with an error. */
const START_ATTEMPTS = 3;

export interface RedisTarget {
  url: string;
  /** `url` is one node of a Redis Cluster; the client discovers the rest. */
  cluster: boolean;
  /** On a cluster: where to connect for each address the cluster announces ("host:port"); the rest as announced. */
  nodeMap?: ReadonlyMap<string, RedisNodeAddress> | undefined;
}

type SocketOptions = {
  connectTimeout: number;
  reconnectStrategy: (retries: number, cause: Error) => number | Error;
};

async function newSingle(url: string, socket: SocketOptions) {
  const { createClient } = await import('redis');
  return createClient({ url, socket });
}

async function newCluster(url: string, socket: SocketOptions, nodeMap: RedisTarget['nodeMap']) {
  const { createCluster } = await import('redis');
  const u = new URL(url);
  // The seed URL only finds the cluster; the nodes it names are reached with these settings (node-redis applies
  // `defaults`, not the seed's options, to every node it discovers).
  const tls = u.protocol === 'rediss:';
  return createCluster({
    rootNodes: [{ url }],
    // Every node the cluster announces (CLUSTER SLOTS, a MOVED) is looked up here before the client connects to it.
    ...(nodeMap ? { nodeAddressMap: (address: string) => nodeMap.get(address) } : {}),
    defaults: {
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      socket: tls ? { ...socket, tls: true } : socket,
    },
  });
}

type SingleClient = Awaited<ReturnType<typeof newSingle>>;
type ClusterClient = Awaited<ReturnType<typeof newCluster>>;
/** A connected client: the commands the relay sends are the same on both (keys of one call share a hash tag). */
export type RedisClient = SingleClient | ClusterClient;

/** True when `redis` talks to a Redis Cluster (a SCAN must then go to the shard that owns the keys). */
export function isCluster(redis: RedisClient): redis is ClusterClient {
  return 'masters' in redis;
}

export async function connectRedis(target: RedisTarget | string, onError: (error: Error) => void): Promise<RedisClient> {
  const { url, cluster, nodeMap } = typeof target === 'string' ? { url: target, cluster: false, nodeMap: undefined } : target;
  let connected = false;
  const socket: SocketOptions = {
    connectTimeout: 5000,
    // Before the first connection: a few quick tries, then fail (a wrong URL must stop the relay). After it: keep
    // trying with a capped back-off, as a Redis restart should not take the relay down.
    reconnectStrategy: (retries, cause) => {
      if (!connected && retries >= START_ATTEMPTS) return cause;
      return Math.min(100 * 2 ** retries, 2000);
    },
  };
  const client: RedisClient = cluster ? await newCluster(url, socket, nodeMap) : await newSingle(url, socket);
  // Without a listener an error event would crash the process; the URL may hold a password, so only the error's
  // class is reported.
  client.on('error', (e: Error) => onError(e));
  await client.connect();
  connected = true;
  return client;
}

/** Every key matching `pattern` (SCAN, on each master of a cluster): housekeeping and tests, never the message path. */
export async function keysMatching(redis: RedisClient, pattern: string): Promise<string[]> {
  const nodes = isCluster(redis) ? await Promise.all(redis.masters.map((m) => redis.nodeClient(m))) : [redis];
  const keys: string[] = [];
  for (const node of nodes) {
    for await (const batch of node.scanIterator({ MATCH: pattern, COUNT: 500 })) keys.push(...batch);
  }
  return keys;
}

/** Deletes `keys` one by one (on a cluster they may live on different shards; UNLINK of several wants one slot). */
export async function unlinkEach(redis: RedisClient, keys: readonly string[]): Promise<void> {
  await Promise.all(keys.map((k) => redis.unlink(k)));
}
