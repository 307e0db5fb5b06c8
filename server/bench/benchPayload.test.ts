import { describe, expect, it } from 'vitest';
import { Envelope } from '@kindred/shared/protocol';
import { BENCH_CIPHERTEXT_BYTES, MessageTemplate, readStamp } from './benchPayload';

const id = (n: number, c = 'A'): string => c.repeat(Math.ceil((n * 4) / 3));
const header = {
  v: 2 as const,
  groupId: id(16),
  sessionId: id(16, 'B'),
  epoch: 3,
  rosterHash: id(32, 'C'),
  headEpoch: 3,
  headHash: id(32, 'C'),
  sender: id(32, 'D'),
  keyId: id(16, 'E'),
  type: 'chat' as const,
  ttl: 3600,
};

function frameOf(body: string): Buffer {
  // What a receiver gets: the relay re-emits the envelope inside {seq, envelope} as a "42" event.
  const [, req] = JSON.parse(body) as [string, { envelope: unknown }];
  return Buffer.from(`42${JSON.stringify(['message', { seq: 7, envelope: req.envelope }])}`);
}

describe('MessageTemplate', () => {
  it('builds message.send bodies whose envelope passes the protocol schema, with a counter per message', () => {
    const t = new MessageTemplate(header);
    const bodies = [t.body(1, 10.5), t.body(2, 11.5)];
    for (const [i, body] of bodies.entries()) {
      const [event, req] = JSON.parse(body) as [string, { envelope: unknown }];
      expect(event).toBe('message.send');
      const env = Envelope.parse(req.envelope);
      expect(env.header.counter).toBe(i);
      expect(Buffer.from(env.ct, 'base64url')).toHaveLength(BENCH_CIPHERTEXT_BYTES);
    }
  });

  it('carries the sequence number and the scheduled time to the receiver', () => {
    const t = new MessageTemplate(header);
    const stamp = readStamp(frameOf(t.body(123_456, 98_765.4321)));
    expect(stamp).toEqual({ seq: 123_456, scheduledMs: 98_765.4321 });
  });

  it('gives byte-identical frames for the same plan and message', () => {
    const a = new MessageTemplate(header);
    const body = a.body(5, 1.25);
    // Same template, same message number and time: only the counter moves.
    expect(a.body(5, 1.25).replace('"counter":1', '"counter":0')).toBe(body);
  });

  it('ignores frames that are not relayed messages', () => {
    expect(readStamp(Buffer.from('42["session.member",{"ct":"AAAA"}]'))).toBeUndefined();
    expect(readStamp(Buffer.from('43["message"]'))).toBeUndefined();
  });
});
