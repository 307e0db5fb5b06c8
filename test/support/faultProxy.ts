/**
 * A TCP proxy of the tests' own (node:net, loopback only) in front of a service, that can cut it: every connection
 * through it is destroyed at once, and new ones are refused until the cut ends, as a network partition between one
 * relay node and its Redis looks to that node (its client sees its sockets drop and retries with its back-off).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class FaultProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private cutUntil = 0;
  private readonly server: Server;
  private constructor(target: { host: string; port: number }) {
    this.server = createServer((inbound) => {
      if (Date.now() < this.cutUntil) return void inbound.destroy();
      const outbound = connect(target.port, target.host);
      const pair: [Socket, Socket] = [inbound, outbound];
      this.pairs.add(pair);
      const drop = (): void => {
        inbound.destroy();
        outbound.destroy();
        this.pairs.delete(pair);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
  }

  /** Listens on a free loopback port, forwarding to `target` (host:port). */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(target);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Connections open through the proxy now. */
  get connections(): number {
    return this.pairs.size;
  }

  /** A URL of the same scheme as `url` (redis://host:port) that goes through this proxy. */
  urlFor(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Drops every connection now and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.cutUntil = Date.now() + ms;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
  }

  async close(): Promise<void> {
    this.cut(Number.MAX_SAFE_INTEGER / 2);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
