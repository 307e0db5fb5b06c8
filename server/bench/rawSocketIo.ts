/**
 * A minimal Socket.IO v5 client over the Engine.IO v4 websocket transport, written on the `ws` package directly.
 * Why not socket.io-client: on a two-core machine the load generator must cost far less than the server it
 * measures, and the generator hands incoming event frames to the benchmark as raw strings, so the hot path never
 * JSON-parses a delivery. Wire format: "0{...}" open, "2"/"3" ping/pong, "40" connect, "42[...]" event,
 * "42<id>[...]" event with ack, "43<id>[...]" ack, "44{...}" connect error, "41" disconnect, "1" close.
 */
import WebSocket from 'ws';

export interface RawSocketOptions {
  /** ms to wait for the Engine.IO open and the Socket.IO connect. */
  connectTimeoutMs: number;
  /** Payload of the Socket.IO CONNECT packet (the `auth` object of socket.io-client). */
  auth?: Record<string, unknown>;
}

type AckHandler = (args: unknown[]) => void;

export class RawSocketIo {
  /** Frames received by every client of this process since it started: the benchmark waits for this to stand still. */
  static framesReceived = 0;
  /**
   * Called with every "42[...]" frame (an event without ack request) as the raw bytes: decoding each delivery to a
   * string would be the largest cost of the generator.
   */
  onEventFrame: (frame: Buffer) => void = () => {};
  /** Called once when the transport closes, for whatever reason. */
  onClose: () => void = () => {};
  private nextAckId = 0;
  /** Pending acks; `full` handlers get the parsed body, the others only ACK_OK for an `{ ok: true }` ack. */
  private readonly acks = new Map<number, { fn: AckHandler; full: boolean }>();
  private closed = false;

  private constructor(private readonly ws: WebSocket) {}

  /** Opens the websocket, completes the Engine.IO and Socket.IO handshakes, resolves when the namespace is joined. */
  static connect(baseUrl: string, opts: RawSocketOptions): Promise<RawSocketIo> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    // perMessageDeflate off on both ends: compression would measure zlib, not the relay.
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const client = new RawSocketIo(ws);
    return new Promise((resolve, reject) => {
      let state: 'opening' | 'connecting' | 'ready' = 'opening';
      const timer = setTimeout(() => fail(new Error(`socket.io handshake timed out (${state})`)), opts.connectTimeoutMs);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        client.close();
        reject(err);
      };
      ws.on('error', (err) => {
        if (state !== 'ready') fail(err);
      });
      ws.on('close', () => {
        client.closed = true;
        if (state !== 'ready') fail(new Error('socket closed during the handshake'));
        client.failPendingAcks();
        client.onClose();
      });
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        if (isBinary) return; // the protocol objects are JSON text; binary attachments are never used
        const buf = data as Buffer; // binaryType is 'nodebuffer': one Buffer per frame
        RawSocketIo.framesReceived++;
        if (state === 'ready') {
          client.handleFrame(buf);
          return;
        }
        const frame = buf.toString();
        if (state === 'opening' && frame.startsWith('0')) {
          state = 'connecting';
          ws.send(opts.auth ? `40${JSON.stringify(opts.auth)}` : '40');
        } else if (state === 'connecting' && frame.startsWith('40')) {
          state = 'ready';
          clearTimeout(timer);
          resolve(client);
        } else if (frame.startsWith('44')) {
          fail(new Error(`socket.io connect refused: ${frame.slice(2, 200)}`));
        } else if (frame === '2') {
          ws.send('3');
        }
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Bytes queued in the websocket but not yet written to the kernel: a sign that the generator is falling behind. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends an event and resolves with the ack's arguments; rejects after `timeoutMs` or when the socket closes. */
  emitWithAck(event: string, payload: unknown, timeoutMs: number): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      const id = this.nextAckId++;
      const timer = setTimeout(() => {
        this.acks.delete(id);
        reject(new Error(`no ack for ${event} within ${timeoutMs} ms`));
      }, timeoutMs);
      const fn: AckHandler = (args) => {
        clearTimeout(timer);
        if (args.length === 1 && args[0] === CLOSED) reject(new Error(`socket closed before the ack of ${event}`));
        else resolve(args);
      };
      this.acks.set(id, { fn, full: true });
      this.sendFrame(`42${id}${JSON.stringify([event, payload])}`);
    });
  }

  /**
   * Sends a prebuilt event body (`["event",{...}]` as JSON text) with an ack id and calls `onAck` with the parsed
   * ack arguments, without a timer: the hot path of the load generator, where the benchmark counts missing acks
   * itself at the end of a step.
   */
  emitJsonWithAck(body: string, onAck: AckHandler): void {
    const id = this.nextAckId++;
    this.acks.set(id, { fn: onAck, full: false });
    this.sendFrame(`42${id}${body}`);
  }

  sendFrame(frame: string): void {
    if (this.isOpen) this.ws.send(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.terminate();
    } catch {
      // already gone: nothing to release
    }
  }

  private handleFrame(frame: Buffer): void {
    const c0 = frame[0];
    if (c0 === 0x34 /* '4': Engine.IO message */) {
      const c1 = frame[1];
      if (c1 === 0x32 /* '2': EVENT */) {
        if (frame[2] === 0x5b /* '[' */) this.onEventFrame(frame);
        // an event asking us for an ack: the relay never does, the benchmark ignores it
        return;
      }
      if (c1 === 0x33 /* '3': ACK */) {
        const open = frame.indexOf(0x5b /* '[' */);
        const id = Number(frame.toString('latin1', 2, open));
        const pending = this.acks.get(id);
        if (!pending) return;
        this.acks.delete(id);
        // Most acks of the load are `[{"ok":true,...}]`: skip the parse of those on the hot path.
        const ok = !pending.full && frame.length > open + OK_TRUE.length && frame.compare(OK_TRUE, 0, OK_TRUE.length, open, open + OK_TRUE.length) === 0;
        pending.fn(ok ? ACK_OK : (JSON.parse(frame.toString('utf8', open)) as unknown[]));
        return;
      }
      if (c1 === 0x31 /* '1': DISCONNECT */) this.close();
      return;
    }
    if (frame.length === 1 && c0 === 0x32 /* '2': ping */) this.ws.send('3');
    else if (frame.length === 1 && c0 === 0x31 /* '1': close */) this.close();
  }

  private failPendingAcks(): void {
    for (const pending of this.acks.values()) pending.fn([CLOSED]);
    this.acks.clear();
  }
}

const OK_TRUE = Buffer.from('[{"ok":true');
/** What an `{ ok: true }` ack is reported as when its body was not parsed. */
export const ACK_OK: unknown[] = [{ ok: true }];

/** Marker passed to pending ack handlers when the socket closes. */
export const CLOSED = Symbol('closed');
