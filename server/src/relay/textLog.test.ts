import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextLog } from './textLog';

const text = (n: number, c = 'x'): string => c.repeat(n);

describe('TextLog', () => {
  it('gives back what was pushed, after a seq, byte for byte (unicode included)', () => {
    const log = new TextLog({ ttlMs: 1000, maxItems: 10, maxBytes: 1 << 20 });
    const texts = ['{"a":1}', 'ünïcødé ✓ 🔐', '', text(5000)];
    texts.forEach((t, i) => expect(log.push(10 + i, t, 0)).toBe(true));
    expect(log.readAfter(0, 0)).toEqual(texts.map((t, i) => ({ seq: 10 + i, text: t })));
    expect(log.readAfter(11, 0).map((e) => e.seq)).toEqual([12, 13]);
  });

  it('keeps at most maxItems, and nothing older than the TTL', () => {
    const log = new TextLog({ ttlMs: 100, maxItems: 3, maxBytes: 1 << 20 });
    for (let i = 1; i <= 5; i++) log.push(i, `m${i}`, i);
    expect(log.readAfter(0, 5).map((e) => e.text)).toEqual(['m3', 'm4', 'm5']);
    expect(log.readAfter(0, 104).map((e) => e.seq)).toEqual([4, 5]);
    expect(log.readAfter(0, 200)).toEqual([]);
    expect(log.size).toBe(0);
    expect(log.bytes).toBe(0); // an empty log holds no chunk
  });

  it('keeps its chunks under maxBytes, dropping the oldest; a message alone over the bound is not kept', () => {
    const log = new TextLog({ ttlMs: 1e9, maxItems: 1e6, maxBytes: 64 * 1024 }, 8 * 1024);
    for (let i = 1; i <= 1000; i++) {
      log.push(i, text(1000), 0);
      expect(log.bytes).toBeLessThanOrEqual(64 * 1024);
    }
    const kept = log.readAfter(0, 0);
    expect(kept.length).toBeGreaterThanOrEqual(48); // at least 6 of the 8 chunks' worth stays
    expect(kept.map((e) => e.seq)).toEqual(Array.from({ length: kept.length }, (_, i) => 1001 - kept.length + i));
    // larger than a chunk: a chunk of its own, still under the bound
    expect(log.push(1001, text(20_000, 'y'), 0)).toBe(true);
    expect(log.bytes).toBeLessThanOrEqual(64 * 1024);
    expect(log.readAfter(1000, 0)).toEqual([{ seq: 1001, text: text(20_000, 'y') }]);
    expect(log.push(1002, text(64 * 1024 + 1), 0)).toBe(false);
    expect(log.readAfter(1000, 0).map((e) => e.seq)).toEqual([1001]);
  });

  it('forgets everything on clear, and wipes the bytes it held', () => {
    const log = new TextLog({ ttlMs: 1000, maxItems: 10, maxBytes: 1 << 20 }, 1024);
    log.push(1, text(600, 's'), 0);
    log.push(2, text(600, 't'), 0); // a second chunk
    const held = (log as unknown as { chunks: Buffer[] }).chunks.slice();
    expect(held).toHaveLength(2);
    log.clear();
    expect(log.readAfter(0, 0)).toEqual([]);
    expect(log.size).toBe(0);
    expect(log.bytes).toBe(0);
    for (const chunk of held) expect(chunk.every((b) => b === 0)).toBe(true);
    expect(log.push(3, 'again', 0)).toBe(true);
    expect(log.readAfter(0, 0)).toEqual([{ seq: 3, text: 'again' }]);
  });

  it('at its count bound reuses its slots: the arrays are neither regrown nor copied per message', () => {
    const log = new TextLog({ ttlMs: 1e9, maxItems: 100, maxBytes: 1 << 20 });
    const arrays = (): unknown[] => Object.values((log as unknown as { entries: object }).entries).filter(ArrayBuffer.isView);
    for (let i = 1; i <= 100; i++) log.push(i, `m${i}`, i);
    const atBound = arrays();
    expect(atBound).toHaveLength(5);
    for (let i = 101; i <= 1000; i++) log.push(i, `m${i}`, i);
    arrays().forEach((a, i) => expect(a).toBe(atBound[i]));
    expect(log.readAfter(0, 1000).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 901 + i));
  });

  it('grows a ring that has wrapped around without mixing up its entries', () => {
    const log = new TextLog({ ttlMs: 100, maxItems: 1000, maxBytes: 1 << 20 });
    for (let i = 1; i <= 16; i++) log.push(i, `m${i}`, i); // the first 16 slots, full
    for (let i = 17; i <= 24; i++) log.push(i, `m${i}`, 88 + i); // at 105-112 the TTL drops 1-11 while these wrap around
    for (let i = 25; i <= 60; i++) log.push(i, `m${i}`, 112); // full again, from the middle: it grows
    expect(log.readAfter(0, 112)).toEqual(Array.from({ length: 49 }, (_, i) => ({ seq: 12 + i, text: `m${12 + i}` })));
    expect(log.readAfter(0, 212).map((e) => e.seq)).toEqual(Array.from({ length: 37 }, (_, i) => 24 + i)); // 12-23 expired, oldest first
  });

  it('with maxItems 0 keeps nothing', () => {
    const log = new TextLog({ ttlMs: 1000, maxItems: 0, maxBytes: 1 << 20 });
    expect(log.push(1, 'a', 0)).toBe(false);
    expect(log.readAfter(0, 0)).toEqual([]);
  });

  it('always holds the newest pushes that fit every bound, in order, exactly (property, fixed seed)', () => {
    const op = fc.record({ len: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 2000, max: 9000 })), dt: fc.integer({ min: 0, max: 40 }), wide: fc.boolean() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 1, max: 60 }), (ops, maxItems) => {
        const limits = { ttlMs: 500, maxItems, maxBytes: 16 * 1024 };
        const log = new TextLog(limits, 4096);
        const pushed: { seq: number; text: string; at: number; bytes: number }[] = [];
        let now = 0;
        ops.forEach(({ len, dt, wide }, i) => {
          now += dt;
          const t = wide ? text(Math.ceil(len / 3), 'é') : text(len, String.fromCharCode(97 + (i % 26)));
          const bytes = Buffer.byteLength(t);
          const kept = log.push(i + 1, t, now);
          expect(kept).toBe(bytes <= limits.maxBytes);
          if (kept) pushed.push({ seq: i + 1, text: t, at: now, bytes });
          expect(log.bytes).toBeLessThanOrEqual(limits.maxBytes);
          const held = log.readAfter(0, now);
          // a suffix of what was kept, nothing reordered or altered
          expect(held).toEqual(pushed.slice(pushed.length - held.length).map(({ seq, text }) => ({ seq, text })));
          expect(held.length).toBeLessThanOrEqual(maxItems);
          const oldest = pushed[pushed.length - held.length];
          if (oldest) expect(now - oldest.at).toBeLessThanOrEqual(limits.ttlMs);
          // and not emptied early: the newest push is always held, unless it was refused or nothing is kept
          if (kept) expect(held[held.length - 1]?.seq).toBe(i + 1);
        });
      }),
      { seed: 20261125, numRuns: 200 },
    );
  });
});
