import { describe, expect, it } from 'vitest';
import type { Envelope } from '@kindred/shared/protocol';
import { MemorySessionLog, memorySeqBase } from './sessionLog';

const limits = { ttlMs: 120_000, maxItems: 500, maxBytes: 4 * 1024 * 1024 };
const head = { epoch: 0, head: 'h' };
let counter = 0;
/** The log reads only the header's sender, key id and counter (a retry is the same message); the rest is opaque. */
const message = (): Envelope => ({ header: { sender: 'a', keyId: 'k', counter: counter++ } }) as Envelope;
const seqOf = async (log: MemorySessionLog): Promise<number> => {
  const r = await log.append(message(), 0, head);
  if (r.status !== 'new') throw new Error(r.status);
  return r.relayed.seq;
};

describe('MemorySessionLog numbering', () => {
  it('numbers a session from its base, one by one, and replays what came after lastSeq', async () => {
    const log = new MemorySessionLog(limits, 5_000);
    expect([await seqOf(log), await seqOf(log), await seqOf(log)]).toEqual([5_001, 5_002, 5_003]);
    expect((await log.missedAfter(5_001, 0)).map((m) => m.seq)).toEqual([5_002, 5_003]);
  });

  it('keeps every seq of a restarted relay above every seq of the process before it', async () => {
    const startedAt = 1_800_000_000_000;
    const before = new MemorySessionLog(limits, memorySeqBase(startedAt));
    let lastBefore = 0;
    for (let i = 0; i < 100_000; i++) lastBefore = await seqOf(before);
    // the same session's log opened again by a relay restarted one second later
    const after = new MemorySessionLog(limits, memorySeqBase(startedAt + 1_000));
    const firstAfter = await seqOf(after);
    expect(firstAfter).toBeGreaterThan(lastBefore);
    expect(Number.isSafeInteger(memorySeqBase(Date.UTC(2200, 0, 1)))).toBe(true);
  });
});
