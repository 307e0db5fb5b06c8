import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { SealedSenderKey } from '@kindred/shared/protocol';
import { KEYS_REQUEST_BUDGET_BYTES } from '@kindred/shared/protocol';
import { chunkSealedKeys, keysRequestBytes, MAX_KEYS_PER_REQUEST } from './keyChunks';

const ctx = { groupId: 'g'.repeat(22), sessionId: 's'.repeat(22) };

/** A sealed key of the real shape; `boxChars` sets its size (a real one has ~650 characters of box, ~870 bytes). */
function sealedKey(n: number, boxChars = 650): SealedSenderKey {
  return {
    v: 2,
    ...ctx,
    from: 'f'.repeat(43),
    to: `m${String(n).padStart(42, '0')}`,
    keyId: 'k'.repeat(22),
    nonce: 'n'.repeat(32),
    box: 'b'.repeat(boxChars),
  };
}

/** The request's JSON in UTF-8: what the budget counts (the relay measures the packet: this plus ~30 bytes of framing). */
const relayMeasure = (sealed: SealedSenderKey[]): number => Buffer.byteLength(JSON.stringify({ ...ctx, sealed }), 'utf8');

describe('chunkSealedKeys', () => {
  it('cuts a 200-member rekey into requests under the budget that the default relay (128 KiB) would refuse whole', () => {
    const sealed = Array.from({ length: 199 }, (_, i) => sealedKey(i));
    expect(relayMeasure(sealed)).toBeGreaterThan(128 * 1024); // the bug: one request of everything is refused
    const chunks = chunkSealedKeys(ctx, sealed);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(relayMeasure(c)).toBeLessThanOrEqual(KEYS_REQUEST_BUDGET_BYTES);
    expect(chunks.flat()).toEqual(sealed);
  });

  it('measures a request exactly as the relay does', () => {
    for (const n of [0, 1, 2, 37]) {
      const sealed = Array.from({ length: n }, (_, i) => sealedKey(i, 10 + i));
      expect(keysRequestBytes(ctx, sealed)).toBe(relayMeasure(sealed));
    }
  });

  it('fills each request to the byte: a key that fits exactly goes in, one byte more starts the next request', () => {
    const two = [sealedKey(0), sealedKey(1)];
    const exact = relayMeasure(two);
    expect(chunkSealedKeys(ctx, two, exact)).toEqual([two]);
    expect(chunkSealedKeys(ctx, two, exact - 1)).toEqual([[two[0]], [two[1]]]);
  });

  it('caps the number of keys per request', () => {
    const sealed = Array.from({ length: MAX_KEYS_PER_REQUEST + 1 }, (_, i) => sealedKey(i, 1));
    const chunks = chunkSealedKeys(ctx, sealed, Number.MAX_SAFE_INTEGER);
    expect(chunks.map((c) => c.length)).toEqual([MAX_KEYS_PER_REQUEST, 1]);
  });

  it('gives a key over the budget a request of its own and drops nothing', () => {
    const sealed = [sealedKey(0), sealedKey(1, 5000), sealedKey(2)];
    expect(chunkSealedKeys(ctx, sealed, 2000)).toEqual([[sealed[0]], [sealed[1]], [sealed[2]]]);
    expect(chunkSealedKeys(ctx, [])).toEqual([]);
  });

  it('property: order kept, every request within both bounds, and each as full as they allow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3000 }), { maxLength: 60 }),
        fc.integer({ min: 300, max: 20_000 }),
        fc.integer({ min: 1, max: 20 }),
        (sizes, budget, maxKeys) => {
          const sealed = sizes.map((s, i) => sealedKey(i, s));
          const chunks = chunkSealedKeys(ctx, sealed, budget, maxKeys);
          expect(chunks.flat()).toEqual(sealed);
          chunks.forEach((c, i) => {
            expect(c.length).toBeGreaterThan(0);
            expect(c.length).toBeLessThanOrEqual(maxKeys);
            if (c.length > 1) expect(relayMeasure(c)).toBeLessThanOrEqual(budget);
            const next = chunks[i + 1];
            if (next) expect(c.length === maxKeys || relayMeasure([...c, next[0]!]) > budget).toBe(true);
          });
        },
      ),
      { seed: 2024, numRuns: 200 },
    );
  });
});
