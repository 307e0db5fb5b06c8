/**
 * A TCP proxy in front of Redis that counts what one relay node exchanges with it (`pnpm bench:fanout`): the bytes
 * Redis delivers on the node's subscriber connections (from the first SSUBSCRIBE or SUBSCRIBE a connection sends:
 * what the adapter receives), and the bytes of the SPUBLISH commands the node sends (what it publishes; Redis delivers
 * each as a push of the same length, `smessage` for `SPUBLISH`, to every subscriber of the channel). Loopback only.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const SUBSCRIBER_COMMANDS = new Set(['SSUBSCRIBE', 'SUBSCRIBE']);
const PUBLISH_COMMANDS = new Set(['SPUBLISH', 'PUBLISH']);

/** Complete RESP command arrays at the start of `buf`: their first word and length; `rest` is the incomplete tail. */
export function splitCommands(buf: Buffer): { commands: { name: string; bytes: number }[]; rest: Buffer } {
  const commands: { name: string; bytes: number }[] = [];
  let at = 0;
  outer: while (at < buf.length) {
    if (buf[at] !== 0x2a) throw new Error('not a RESP command array'); // '*'
    let pos = at;
    const line = (): number | undefined => {
      const end = buf.indexOf('\r\n', pos);
      if (end < 0) return undefined;
      const n = Number(buf.toString('latin1', pos + 1, end));
      pos = end + 2;
      return n;
    };
    const count = line();
    if (count === undefined) break;
    let name = '';
    for (let i = 0; i < count; i++) {
      const len = line();
      if (len === undefined || pos + len + 2 > buf.length) break outer;
      if (i === 0) name = buf.toString('latin1', pos, pos + len).toUpperCase();
      pos += len + 2;
    }
    commands.push({ name, bytes: pos - at });
    at = pos;
  }
  return { commands, rest: buf.subarray(at) };
}

class CountedConnection {
  subscriber = false;
  received = 0;
  published = 0;
  private pending: Buffer = Buffer.alloc(0);

  upstream(chunk: Buffer): void {
    if (this.subscriber) return;
    const { commands, rest } = splitCommands(this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]));
    this.pending = Buffer.from(rest);
    for (const c of commands) {
      if (SUBSCRIBER_COMMANDS.has(c.name)) this.subscriber = true;
      if (PUBLISH_COMMANDS.has(c.name)) this.published += c.bytes;
    }
  }

  downstream(chunk: Buffer): void {
    this.received += chunk.length;
  }
}

export class CountingProxy {
  private readonly connections: CountedConnection[] = [];
  private readonly sockets = new Set<Socket>();
  private base = { received: 0, published: 0 };

  private constructor(private readonly server: Server) {}

  static async start(target: { host: string; port: number }): Promise<CountingProxy> {
    const server = createServer();
    const proxy = new CountingProxy(server);
    server.on('connection', (client) => {
      const counted = new CountedConnection();
      proxy.connections.push(counted);
      const upstream = createConnection(target);
      for (const s of [client, upstream]) {
        proxy.sockets.add(s);
        s.on('close', () => proxy.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk: Buffer) => {
        counted.upstream(chunk);
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (counted.subscriber) counted.downstream(chunk);
        client.write(chunk);
      });
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Bytes delivered to the node's subscriber connections, and of SPUBLISH commands it sent, since the last reset. */
  counts(): { received: number; published: number } {
    const now = this.totals();
    return { received: now.received - this.base.received, published: now.published - this.base.published };
  }

  reset(): void {
    this.base = this.totals();
  }

  private totals(): { received: number; published: number } {
    return {
      received: this.connections.reduce((a, c) => a + c.received, 0),
      published: this.connections.reduce((a, c) => a + c.published, 0),
    };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
