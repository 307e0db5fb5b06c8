import { describe, expect, it } from 'vitest';
import { clusterDirectory, PRESENCE_REUSE_MS } from './sessionDirectory';
import type { LiveSession } from './groupState';
import type { RelayServer } from './context';

/** An adapter that answers fetchSockets from a list we control, and counts the questions. */
function fakeCluster(): { io: RelayServer; present: string[]; asked: number } {
  const state = { present: [] as string[], asked: 0, io: undefined as unknown as RelayServer };
  state.io = {
    in: () => ({
      fetchSockets: async () => {
        state.asked++;
        return state.present.map((member) => ({ rooms: new Set<string>(), data: { member, live: { g: { sessionId: 's', sessionKey: {} } } } }));
      },
    }),
  } as unknown as RelayServer;
  return state;
}

describe('clusterDirectory.presentNow', () => {
  it('reuses a recent look only to say "present"; anyone missing from it, or an old look, makes a fresh one', async () => {
    const cluster = fakeCluster();
    const clock = { now: 0 };
    const dir = clusterDirectory(cluster.io, () => false, () => clock.now);
    const live = { groupId: 'g', id: 's' } as unknown as LiveSession;
    cluster.present = ['a', 'b'];
    expect((await dir.presentNow(live, new Set(['a', 'b'])))('b')).toBe(true);
    expect(cluster.asked).toBe(1);
    // Within the window, for members seen present: no question to the other nodes.
    clock.now = PRESENCE_REUSE_MS;
    expect((await dir.presentNow(live, new Set(['a'])))('a')).toBe(true);
    expect(cluster.asked).toBe(1);
    // Someone who joined on another node since the last look: asked again at once, and found.
    cluster.present = ['a', 'b', 'c'];
    expect((await dir.presentNow(live, new Set(['a', 'c'])))('c')).toBe(true);
    expect(cluster.asked).toBe(2);
    // Someone absent is never answered from an old look: each such request asks.
    expect((await dir.presentNow(live, new Set(['z'])))('z')).toBe(false);
    expect((await dir.presentNow(live, new Set(['z'])))('z')).toBe(false);
    expect(cluster.asked).toBe(4);
    // After the window even "present" is asked again: b has gone.
    cluster.present = ['a', 'c'];
    clock.now += PRESENCE_REUSE_MS + 1;
    expect((await dir.presentNow(live, new Set(['b'])))('b')).toBe(false);
    expect(cluster.asked).toBe(5);
  });
});
