/**
 * One relay node's whole way to Redis through fault proxies of the test's own (test/support/faultProxy.ts): a proxy
 * per master. On one Redis that is one proxy, whose URL the node is given. A Redis Cluster client learns the masters'
 * addresses from the cluster itself (CLUSTER SLOTS) and would connect to them directly, so the node is also given
 * KINDRED_REDIS_NODE_MAP, sending each announced address to its proxy: a cut then cuts every shard connection of
 * that node, and no other node's.
 */
import { FaultProxy } from '../support/faultProxy';
import type { RedisUnderTest, SpawnOptions } from './cluster';

export class ProxiedRedis {
  private constructor(
    private readonly redis: RedisUnderTest,
    /** In the order of `redis.masters`. */
    private readonly proxies: FaultProxy[],
  ) {}

  static async start(redis: RedisUnderTest): Promise<ProxiedRedis> {
    const proxies: FaultProxy[] = [];
    for (const master of redis.masters) {
      const { hostname, port } = new URL(`redis://${master}`);
      proxies.push(await FaultProxy.start({ host: hostname, port: Number(port) }));
    }
    return new ProxiedRedis(redis, proxies);
  }

  /** What a relay node process needs to reach Redis only through these proxies (cluster.ts spawnNode). */
  get spawnOptions(): Pick<SpawnOptions, 'redisUrl' | 'redisNodeMap'> {
    const { target, masters } = this.redis;
    const redisUrl = this.proxies[0]!.urlFor(target.url); // the URL names the first master

    if (!target.cluster) return { redisUrl };
    const map = Object.fromEntries(masters.map((m, i) => [m, `127.0.0.1:${this.proxies[i]!.port}`]));
    return { redisUrl, redisNodeMap: JSON.stringify(map) };
  }

  /** Open connections through each master's proxy, in the order of the masters. */
  get connections(): number[] {
    return this.proxies.map((p) => p.connections);
  }

  /** Drops every connection to every master now, and refuses new ones for `ms`. */
  cut(ms: number): void {
    for (const p of this.proxies) p.cut(ms);
  }

  async close(): Promise<void> {
    await Promise.all(this.proxies.map((p) => p.close()));
  }
}
