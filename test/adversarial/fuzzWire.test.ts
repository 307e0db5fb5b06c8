/**
 * Bad bytes below the event catalogue: raw Engine.IO / Socket.IO frames over a WebSocket to the real relay
 * (malformed packets, reserved and odd event names, invalid UTF-8, binary frames, binary placeholders that never
 * come, deep nesting, frames past the transport cap, unknown namespaces) and a seeded stream of random frames.
 * Each frame may close its own connection; none may crash or wedge the relay: after each, /healthz is 200 and a
 * signed-in client on another connection still gets answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@kindred/shared/protocol';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { RawClient } from '../support/rawClient';
import { Prng, fuzzSeed } from '../support/prng';

const SEED = fuzzSeed(0x77697265);
const RANDOM_FRAMES = 400;

type FrameOutcome = 'answered' | 'closed' | 'silent';

/** One raw Engine.IO connection on the default namespace. */
class RawWs {
  private readonly inbox: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? '' : data.toString('utf8');
      if (text === '2') ws.send('3'); // Engine.IO ping -> pong
      this.inbox.push(text);
      this.wake();
    });
    ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
    ws.on('error', () => undefined);
  }

  static async open(url: string, connectNamespace = true): Promise<RawWs> {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const raw = new RawWs(ws);
    await raw.until((m) => m.startsWith('0'));
    if (connectNamespace) {
      ws.send(`40${JSON.stringify({ protocol: PROTOCOL_VERSION })}`);
      await raw.until((m) => m.startsWith('40'));
    }
    return raw;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Waits for a message matching `match`, the close, or `ms`. */
  async until(match: (m: string) => boolean, ms = 2_000): Promise<string | 'closed' | 'timeout'> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.inbox.findIndex(match);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      if (this.closed) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(frame: string | Buffer, binary = false): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary });
  }

  /** Sends `frame`; with an ack id 7 in it, waits for '437...' (or the close). */
  async probe(frame: string | Buffer, binary = false, wantAck = false): Promise<FrameOutcome> {
    this.send(frame, binary);
    const r = await this.until((m) => m.startsWith('437'), wantAck ? 2_000 : 300);
    return r === 'closed' ? 'closed' : r === 'timeout' ? 'silent' : 'answered';
  }

  close(): void {
    this.ws.terminate();
  }
}

describe(`raw frames to the relay (seed ${SEED})`, () => {
  let relay: RelayUnderTest;
  let witness: RawClient;

  beforeAll(async () => {
    console.log(`[fuzzWire] seed ${SEED} (replay: KINDRED_FUZZ_SEED=${SEED})`);
    relay = await startRelay({ storage: 'memory', record: false });
    witness = await RawClient.signedIn(relay.url);
  });

  afterAll(async () => {
    witness?.close();
    await relay?.close();
  });

  const stillServing = async (what: string): Promise<void> => {
    expect(await relay.health(), `${what}: /healthz`).toBe(200);
    const out = await witness.send('auth.challenge', [{}], 5_000);
    expect(out.kind, `${what}: another connection still answered`).toBe('ack');
  };

  const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);
  const CASES: { name: string; frame: string | Buffer; binary?: boolean; wantAck?: boolean; expect?: FrameOutcome[] }[] = [
    { name: 'a request with an ack id', frame: '427["auth.challenge",{}]', wantAck: true, expect: ['answered'] },
    { name: 'an unknown event with an ack id', frame: '427["nope",{}]', wantAck: true, expect: ['answered'] },
    { name: 'a request without an ack id', frame: '42["auth.challenge",{}]', expect: ['silent'] },
    { name: 'an event name that is a number', frame: '427[1,{}]', wantAck: true },
    { name: 'an event name __proto__', frame: '427["__proto__",{}]', wantAck: true, expect: ['answered'] },
    { name: 'an event name constructor', frame: '427["constructor",{"__proto__":{"polluted":1}}]', wantAck: true, expect: ['answered'] },
    { name: 'a reserved event name (disconnect)', frame: '42["disconnect"]', expect: ['closed'] },
    { name: 'a reserved event name (connect)', frame: '427["connect",{}]', expect: ['closed'] },
    { name: 'newListener', frame: '427["newListener","message"]', expect: ['closed'] },
    { name: 'truncated JSON', frame: '427["auth.challenge",{', expect: ['closed'] },
    { name: 'an object instead of an array', frame: '427{"a":1}', expect: ['closed'] },
    { name: 'an empty array', frame: '427[]', expect: ['closed'] },
    { name: 'an empty frame', frame: '', expect: ['closed', 'silent'] },
    { name: 'an unknown Engine.IO type', frame: '9hello', expect: ['closed', 'silent'] },
    { name: 'an unknown Socket.IO type', frame: '49[]', expect: ['closed'] },
    { name: 'an ack from the client for nothing', frame: '4399[{"ok":true}]', expect: ['silent', 'closed'] },
    { name: 'a binary event whose attachment never comes', frame: '451-7["auth.challenge",{"_placeholder":true,"num":0}]', expect: ['silent', 'closed'] },
    { name: 'a placeholder pointing past the attachments', frame: '451-7["auth.challenge",{"_placeholder":true,"num":9}]', expect: ['silent', 'closed'] },
    { name: 'a placeholder in a text event', frame: '427["auth.challenge",{"_placeholder":true,"num":0}]', wantAck: true },
    { name: 'deep nesting (20,000 levels)', frame: `427["auth.challenge",${deep(20_000)}]`, wantAck: true },
    { name: 'lone surrogates escaped in JSON', frame: '427["auth.prove",{"member":"\\ud800","challenge":"\\udfff","sig":"\\ud800\\ud800"}]', wantAck: true, expect: ['answered'] },
    { name: 'invalid UTF-8 in a text frame', frame: Buffer.from([0x34, 0x32, 0x37, 0x5b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x5d]), binary: false, expect: ['closed'] },
    { name: 'a binary frame with junk', frame: Buffer.from([0, 1, 2, 3, 255, 254]), binary: true, expect: ['silent', 'closed'] },
    { name: 'a frame past the transport cap', frame: `427["auth.challenge",{"x":"${'A'.repeat(300_000)}"}]`, expect: ['closed'] },
    { name: 'a namespace that does not exist', frame: '40/admin,', expect: ['silent', 'closed'] },
    { name: 'a second connect on the same namespace', frame: '40', expect: ['silent', 'closed'] },
    { name: 'Engine.IO upgrade probe', frame: '5', expect: ['silent', 'closed'] },
    { name: 'Engine.IO close', frame: '1', expect: ['closed', 'silent'] },
  ];

  for (const c of CASES) {
    it(`survives ${c.name}`, async () => {
      const raw = await RawWs.open(relay.url);
      try {
        const outcome = await raw.probe(c.frame, c.binary ?? false, c.wantAck ?? false);
        if (c.expect) expect(c.expect, `${c.name}: got ${outcome}`).toContain(outcome);
        if (outcome === 'answered') {
          // An answer is a catalogue answer; a closed connection is the transport's refusal.
          expect(raw.closed).toBe(false);
        }
      } finally {
        raw.close();
      }
      await stillServing(c.name);
    });
  }

  it('survives a seeded stream of random frames, then a Socket.IO handshake never finished', async () => {
    const rng = new Prng(SEED);
    const parts = ['4', '2', '7', '[', ']', '{', '}', '"', ',', ':', 'auth.challenge', 'message', '_placeholder', 'num', '-', '1', 'null', '\\u0000', '\\ud800', '\u00e9', ' '];
    const outcomes = new Map<FrameOutcome, number>();
    let raw = await RawWs.open(relay.url);
    for (let i = 0; i < RANDOM_FRAMES; i++) {
      if (raw.closed) raw = await RawWs.open(relay.url);
      let frame = rng.pick(['42', '427', '451-7', '43', '4', '']);
      const len = rng.int(0, 30);
      for (let j = 0; j < len; j++) frame += rng.pick(parts);
      raw.send(rng.bool(0.05) ? Buffer.from(rng.bytes(rng.int(1, 40))) : frame, rng.bool(0.05));
      if (i % 50 === 49) {
        // Probe on a fresh connection: the stream's own connection is usually closed by then (by design).
        const fresh = await RawWs.open(relay.url);
        const o = await fresh.probe('427["auth.challenge",{}]', false, true);
        fresh.close();
        outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        await stillServing(`random frame ${i} (seed ${SEED})`);
      }
    }
    raw.close();
    // A connection that opens Engine.IO but never connects a namespace: the relay times it out, nothing hangs.
    const idle = await RawWs.open(relay.url, false);
    idle.close();
    console.log(`[fuzzWire] ${RANDOM_FRAMES} random frames; probes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
    expect(outcomes.get('answered')).toBe(RANDOM_FRAMES / 50);
    await stillServing('after random frames');
  });
});
