/**
 * A TCP proxy of the tests' own (node:net, loopback only) in front of a service, that can cut it: every connection
 * through it is destroyed at once, and new ones are refused until the cut ends, as a network partition between one
 * relay node and its Redis looks to that node (its client sees its sockets drop and retries with its back-off).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class FaultProxy {
  private readonly pairs = new Set<[Socket, Socket]>();
  private cutUntil = 0;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port, forwarding to `target` (host:port). */
  static async start(target: { host: string; port: number }): Promise<FaultProxy> {
    let proxy: FaultProxy | undefined;
    const server = createServer((inbound) => {
      if (!proxy || Date.now() < proxy.cutUntil) return void inbound.destroy();
      const outbound = connect(target.port, target.host);
      const pair: [Socket, Socket] = [inbound, outbound];
      proxy.pairs.add(pair);
      const drop = (): void => {
        inbound.destroy();
        outbound.destroy();
        proxy?.pairs.delete(pair);
      };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, (server.address() as { port: number }).port);
    return proxy;
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
