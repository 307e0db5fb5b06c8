/**
 * Load sized for CI: several groups of engine clients sending at a fixed rate for a few seconds (KINDRED_LOAD_MS to
 * lengthen). Every message reaches every other present member of its group exactly once and nobody else; the
 * muted member's attempts are all refused; the heap after collection levels off. `pnpm soak` runs the same longer.
 */
import { describe, expect, it } from 'vitest';
import { runLoad } from './loadRun';

describe('load', () => {
  it('delivers every message exactly once to its group and nobody else, and the heap levels off', async () => {
    const durationMs = Number(process.env.KINDRED_LOAD_MS ?? 12_000);
    const r = await runLoad({ groups: 3, membersPerGroup: 5, durationMs, ratePerClient: 2 }, (l) => console.log(`[load] ${l}`));
    console.log(`[load] sent ${r.sent}, deliveries ${r.deliveries}, heap ${r.heapMb.join(' -> ')} MB, ${r.elapsedMs} ms`);
    expect(r.sent).toBeGreaterThan(100);
    expect(r.missing.slice(0, 10)).toEqual([]);
    expect(r.duplicates.slice(0, 10)).toEqual([]);
    expect(r.leaked).toEqual([]);
    expect(r.mutedAccepted).toBe(0);
    // 3 groups x (4 unmuted senders -> 5 receivers... each message reaches the group's other 5 members).
    expect(r.deliveries).toBe(r.sent * 5);
    const last = r.heapMb[r.heapMb.length - 1]!;
    const second = r.heapMb[Math.min(1, r.heapMb.length - 1)]!;
    expect(last - second, `heap ${r.heapMb.join(' -> ')}`).toBeLessThan(40);
  });
});
