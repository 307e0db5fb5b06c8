/**
 * A tap on the relay's wire, below Socket.IO and above the WebSocket: every packet the relay sends passes through
 * `engine socket.write`, whether it comes from `socket.emit`, a room broadcast or an acknowledgement. The tap
 *
 * - records every packet sent and received (the canary scan reads these: "everything the relay sent");
 * - lets a test play a dishonest relay: a rule sees each outgoing event or acknowledgement with the member it goes
 *   to, and may pass it, drop it, alter it or send several in its place; `inject` sends what the relay never got.
 *
 * Nothing in server/src is changed: the tap is attached to the app's Socket.IO server from outside.
 */
import type { KindredIo } from '@kindred/server';

/** An outgoing event (`ack: false`) or the answer to a request (`ack: true`, `event` is '@ack'). */
export interface OutgoingPacket {
  /** The member the socket signed in as (undefined before auth.prove). */
  member: string | undefined;
  event: string;
  payload: unknown;
  ack: boolean;
}

/** Return undefined to pass the packet unchanged, [] to drop it, or the payloads to send instead (in order). */
export type TamperRule = (packet: OutgoingPacket) => unknown[] | undefined;

interface EnginePacket {
  type: string;
  data?: unknown;
}
interface EngineSocketLike {
  id: string;
  write(data: unknown, options?: Record<string, unknown>, callback?: () => void): unknown;
  on(event: 'packetCreate' | 'packet', listener: (packet: EnginePacket) => void): unknown;
}

const EVENT_OR_ACK = /^([23])(\d*)(\[[\s\S]*\])$/;

export class WireTap {
  /** Every Socket.IO packet the relay sent (after tampering: what went on the wire), as text. */
  readonly sent: string[] = [];
  /** Every Socket.IO packet the relay received, as text (binary attachments as base64). */
  readonly received: string[] = [];
  private rules: TamperRule[] = [];
  private io: KindredIo | null = null;
  private injecting = false;

  /**
   * `record` false records nothing; a function records only packets to or from sockets for which it returns true
   * (given the member the socket signed in as), so a memory test can leave the fuzzing sockets' junk out.
   */
  constructor(private record: boolean | ((member: string | undefined) => boolean) = true) {}

  setRecording(record: boolean | ((member: string | undefined) => boolean)): void {
    this.record = record;
  }

  private recording(raw: EngineSocketLike): boolean {
    return typeof this.record === 'function' ? this.record(this.memberOf(raw)) : this.record;
  }

  /** Attaches to a (re)built app. */
  attach(io: KindredIo): void {
    this.io = io;
    io.engine.on('connection', (raw: EngineSocketLike) => {
      const write = raw.write.bind(raw);
      raw.write = (data, options, callback) => {
        if (typeof data !== 'string') return write(data, options, callback);
        const out = this.injecting ? [data] : this.apply(raw, data);
        // The adapter may hand over a pre-encoded WebSocket frame; a rewritten packet must not use it.
        const opts = out.length === 1 && out[0] === data ? options : stripPreEncoded(options);
        const rec = this.recording(raw);
        for (const d of out) {
          if (rec) this.sent.push(d);
          write(d, opts, callback);
        }
        return raw;
      };
      if (this.record !== false) {
        raw.on('packet', (p) => {
          if (p.type !== 'message' || !this.recording(raw)) return;
          this.received.push(typeof p.data === 'string' ? p.data : Buffer.from(p.data as ArrayBuffer).toString('base64'));
        });
      }
    });
  }

  /** Adds a rule (rules run in order; the first that does not pass decides). Returns its remover. */
  tamper(rule: TamperRule): () => void {
    this.rules.push(rule);
    return () => {
      this.rules = this.rules.filter((r) => r !== rule);
    };
  }

  clearRules(): void {
    this.rules = [];
  }

  /** Sends `event` to every socket signed in as `member`, past the rules: what an honest relay never sent. */
  inject(member: string, event: string, payload: unknown): number {
    const io = this.io;
    if (!io) throw new Error('wire tap not attached');
    let n = 0;
    this.injecting = true;
    try {
      for (const socket of io.sockets.sockets.values()) {
        if (socket.data.member !== member) continue;
        (socket.emit as (ev: string, p: unknown) => boolean)(event, payload); // any event, any payload: that is the point
        n++;
      }
    } finally {
      this.injecting = false;
    }
    return n;
  }

  /** Payloads of recorded outgoing events named `event`. */
  sentEvents(event: string): unknown[] {
    const out: unknown[] = [];
    for (const d of this.sent) {
      const m = EVENT_OR_ACK.exec(d);
      if (!m || m[1] !== '2') continue;
      const arr = JSON.parse(m[3] as string) as unknown[];
      if (arr[0] === event) out.push(arr[1]);
    }
    return out;
  }

  private memberOf(raw: EngineSocketLike): string | undefined {
    for (const socket of this.io?.sockets.sockets.values() ?? []) if (socket.conn === (raw as unknown)) return socket.data.member;
    return undefined;
  }

  private apply(raw: EngineSocketLike, data: string): string[] {
    if (this.rules.length === 0) return [data];
    const m = EVENT_OR_ACK.exec(data);
    if (!m) return [data];
    const ack = m[1] === '3';
    const id = m[2] as string;
    const arr = JSON.parse(m[3] as string) as unknown[];
    const packet: OutgoingPacket = ack
      ? { member: this.memberOf(raw), event: '@ack', payload: arr[0], ack: true }
      : { member: this.memberOf(raw), event: String(arr[0]), payload: arr[1], ack: false };
    for (const rule of this.rules) {
      const out = rule(packet);
      if (out === undefined) continue;
      return out.map((p) => (ack ? `3${id}${JSON.stringify([p])}` : `2${id}${JSON.stringify([packet.event, p])}`));
    }
    return [data];
  }
}

function stripPreEncoded(options: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!options || !('wsPreEncodedFrame' in options)) return options;
  const { wsPreEncodedFrame: _frame, ...rest } = options;
  return rest;
}
