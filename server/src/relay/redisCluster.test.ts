/**
 * The adapter as a node configures it (shardedAdapter: Redis 7 sharded pub/sub, dynamic subscriptions), three
 * Socket.IO servers over the machine's Redis and over a three-master Redis Cluster of the test's own: a node
 * subscribes to a room's channel only while it has a socket in the room, so a broadcast reaches only the nodes with
 * members in it; serverSideEmit and fetchSockets still reach every node; nothing is written to Redis; a node knows
 * when its subscription to a room it just joined is in effect (RelayCluster.subscribed).
 * (Members on different nodes chatting through it: test/multinode.)
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import { createConnection, createServer as createTcpServer, type AddressInfo, type Socket as TcpSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server, type Socket } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import { connectRedis, isCluster, keysMatching, type RedisClient } from '../redisClient';
import { redisUnreachable, TEST_REDIS_URL } from '../testServices';
import { CLUSTER_HOOK_TIMEOUT_MS, startRedisCluster, type LocalRedisCluster } from '../testRedisCluster';
import { createRedisCluster } from './redisCluster';
import { roomChannel, shardedAdapter } from './shardedAdapter';
import type { RelayServer } from './socketTypes';
import { adapterChannelPrefix } from './redisKeys';

interface Node {
  io: Server;
  http: HttpServer;
  url: string;
  pub: RedisClient;
  sub: RedisClient;
}

/** Subscribers of a sharded channel, counted on every master of a cluster (only the channel's shard has any). */
async function shardSubscribers(redis: RedisClient, channel: string): Promise<number> {
  const nodes = isCluster(redis) ? await Promise.all(redis.masters.map((m) => redis.nodeClient(m))) : [redis];
  const counts = await Promise.all(nodes.map(async (n) => (await n.pubSubShardNumSub(channel))[channel] ?? 0));
  return counts.reduce((a, b) => a + b, 0);
}

async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not reached within 5 s');
}

function adapterOverRedis(kind: string, target: () => Promise<{ url: string; cluster: boolean; stop?: () => Promise<void> }>): void {
  describe(`shardedAdapter over ${kind}`, () => {
    const prefix = `kindred-test-adapter-${process.pid}-${randomBytes(4).toString('hex')}:`;
    const main = `${adapterChannelPrefix(prefix)}#/#`;
    const roomChannel = (room: string): string => `${main}${room}#`;
    const nodes: Node[] = [];
    const clients: ClientSocket[] = [];
    let stopRedis: (() => Promise<void>) | undefined;
    let probe: RedisClient | undefined;

    beforeAll(async () => {
      const t = await target();
      stopRedis = t.stop;
      const redisTarget = { url: t.url, cluster: t.cluster };
      try {
        probe = await connectRedis(redisTarget, () => undefined);
      } catch (e) {
        throw redisUnreachable(e, 'The cluster adapter tests');
      }
      for (let i = 0; i < 3; i++) {
        const pub = await connectRedis(redisTarget, () => undefined);
        const sub = await connectRedis(redisTarget, () => undefined);
        const http = createServer();
        const io = new Server(http, { transports: ['websocket'] });
        io.adapter(await shardedAdapter(pub, sub, prefix));
        // A client asks to join a room by naming it in its handshake (the relay joins rooms the same way: server side).
        io.on('connection', (socket: Socket) => void socket.join(String(socket.handshake.auth.room)));
        await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
        nodes.push({ io, http, pub, sub, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` });
      }
      // Every node subscribes to the shared channel in the background: wait for all three.
      await eventually(async () => (await shardSubscribers(probe!, main)) === 3);
    }, CLUSTER_HOOK_TIMEOUT_MS);

    afterAll(async () => {
      for (const c of clients) c.close();
      for (const n of nodes) {
        await n.io.close(); // as app.ts closes a node: Socket.IO (and the adapter) first, then its clients
        await n.sub.close();
        await n.pub.close();
      }
      if (probe) {
        // Nothing of the adapter's is in Redis: sharded pub/sub stores nothing.
        expect(await keysMatching(probe, `${prefix}*`)).toEqual([]);
        await probe.close();
      }
      await stopRedis?.();
    });

    const member = async (node: number, room: string): Promise<ClientSocket> => {
      const c = connect(nodes[node]!.url, { transports: ['websocket'], auth: { room }, reconnection: false });
      clients.push(c);
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('connect_error', reject);
      });
      return c;
    };

    it("delivers a room's broadcasts only to the nodes with members in it, each subscribed while it has one", async () => {
      const here = `sess:${randomBytes(8).toString('hex')}`;
      expect(await shardSubscribers(probe!, roomChannel(here))).toBe(0);
      const a = await member(0, here);
      const b = await member(1, here);
      // Nodes 0 and 1 have a member: they listen to the room's own channel; node 2 has none and does not.
      await eventually(async () => (await shardSubscribers(probe!, roomChannel(here))) === 2);
      const heard = (c: ClientSocket): Promise<unknown> => new Promise((resolve) => c.once('note', resolve));
      const both = [heard(a), heard(b)];
      nodes[2]!.io.to(here).emit('note', 'from a node without members');
      expect(await Promise.all(both)).toEqual(['from a node without members', 'from a node without members']);
      // The last member on node 1 leaves: node 1 lets go of the channel.
      b.close();
      await eventually(async () => (await shardSubscribers(probe!, roomChannel(here))) === 1);
    });

    it('still reaches every node for serverSideEmit (answers counted per node) and fetchSockets', async () => {
      const room = `grp:${randomBytes(8).toString('hex')}`;
      await member(1, room);
      await member(2, room);
      for (const n of nodes.slice(1)) n.io.on('ping-node', (ack: (v: string) => void) => ack('pong'));
      expect(await nodes[0]!.io.serverSideEmitWithAck('ping-node')).toEqual(['pong', 'pong']);
      expect((await nodes[0]!.io.in(room).fetchSockets()).length).toBe(2);
    });
  });
}

adapterOverRedis('one Redis', () => Promise.resolve({ url: TEST_REDIS_URL, cluster: false }));
let redisCluster: LocalRedisCluster | undefined;
adapterOverRedis('a three-master Redis Cluster', async () => {
  redisCluster = await startRedisCluster();
  return { url: redisCluster.url, cluster: true, stop: () => redisCluster!.stop() };
});

/** A TCP proxy to the machine's Redis whose client-to-Redis traffic can be held back, then let through in order. */
async function holdingProxy(): Promise<{ url: string; hold(): void; release(): void; close(): Promise<void> }> {
  const redis = new URL(TEST_REDIS_URL);
  let held: (() => void)[] | undefined;
  const sockets = new Set<TcpSocket>();
  const server = createTcpServer((client) => {
    const upstream = createConnection({ host: redis.hostname, port: Number(redis.port || 6379) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => (held ? held.push(() => upstream.write(chunk)) : upstream.write(chunk)));
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `redis://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hold: () => void (held ??= []),
    release() {
      const queued = held ?? [];
      held = undefined;
      for (const write of queued) write();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('RelayCluster.subscribed', () => {
  it("resolves only once this node's subscription to a room it just joined is in effect in Redis", async () => {
    const prefix = `kindred-test-subscribed-${process.pid}-${randomBytes(4).toString('hex')}:`;
    const proxy = await holdingProxy();
    const probe = await connectRedis(TEST_REDIS_URL, () => undefined);
    const pub = await connectRedis(TEST_REDIS_URL, () => undefined);
    const sub = await connectRedis(proxy.url, () => undefined); // the adapter's subscriptions go through the proxy
    const io = new Server(createServer());
    try {
      io.adapter(await shardedAdapter(pub, sub, prefix));
      const main = `${adapterChannelPrefix(prefix)}#/#`;
      await eventually(async () => (await shardSubscribers(probe, main)) === 1);
      const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
      const cluster = createRedisCluster(io as unknown as RelayServer, { redis: pub, subscriber: sub, keyPrefix: prefix }, {
        limits: { ttlMs: 1000, maxItems: 1, maxBytes: 1 << 20 },
        log,
        closing: () => false,
        applyStoredEntries: () => Promise.resolve(),
      });
      const room = `sess:${randomBytes(8).toString('hex')}`;

      proxy.hold(); // the node's subscriber connection is slow: nothing it sends reaches Redis for now
      void io.of('/').adapter.addAll('a-socket-of-this-node', new Set([room]));
      let done = false;
      const ready = cluster.subscribed([room]).then(() => (done = true));
      expect(await shardSubscribers(probe, roomChannel(prefix, room))).toBe(0);
      expect(done).toBe(false);
      proxy.release();
      await ready;
      // At once, no waiting: the subscription is in effect.
      expect(await shardSubscribers(probe, roomChannel(prefix, room))).toBe(1);
    } finally {
      proxy.release();
      await io.close();
      await sub.close();
      await pub.close();
      await probe.close();
      await proxy.close();
    }
  });
});
