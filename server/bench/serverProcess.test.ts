import { describe, expect, it } from 'vitest';
import { planPinning, ServerGroup, type StatsSource } from './serverProcess';
import type { ServerStats } from './serverIpc';

describe('planPinning', () => {
  it('puts every server on the first core and the generator on the others with one node', () => {
    const p = planPinning([0, 1], 1);
    expect(p).toMatchObject({ pinned: true, serverCpus: '0', nodeCpus: [], generatorCpus: '1' });
  });

  it('with two cores, puts both relay nodes on the first core beside the other servers, and says so', () => {
    const p = planPinning([0, 1], 2);
    expect(p).toMatchObject({ pinned: true, serverCpus: '0', nodeCpus: ['0', '0'], generatorCpus: '1' });
    expect(p.note).toContain('2 relay nodes on cpu 0 together');
    expect(p.note).toContain('generator on cpu 1');
  });

  it('gives each node a core of its own when the generator still keeps one', () => {
    const p = planPinning([2, 3, 5, 7], 2);
    expect(p).toMatchObject({ serverCpus: '2', nodeCpus: ['2', '3'], generatorCpus: '5,7' });
    expect(planPinning([0, 1, 2], 2).generatorCpus).toBe('2');
  });

  it('does not pin on one core', () => {
    expect(planPinning([0], 2)).toMatchObject({ pinned: false, nodeCpus: [] });
    expect(planPinning([], 1).pinned).toBe(false);
  });
});

const stats = (n: number, recoveryPackets?: number): ServerStats => ({
  rss: n,
  heapUsed: 2 * n,
  heapTotal: 3 * n,
  external: 4 * n,
  cpuMicros: 5 * n,
  connections: 6 * n,
  loopDelayMaxMs: 7 * n,
  gcMs: 8 * n,
  ...(recoveryPackets !== undefined ? { recoveryPackets } : {}),
});

function fakeProcess(s: ServerStats): StatsSource & { stop(): Promise<void>; gcAsked: boolean[]; stopped: boolean } {
  const p = {
    gcAsked: [] as boolean[],
    stopped: false,
    stats: async (gc: boolean) => {
      p.gcAsked.push(gc);
      return s;
    },
    stop: async () => {
      p.stopped = true;
    },
  };
  return p;
}

describe('ServerGroup', () => {
  it('sums memory, cpu time and connections over its nodes, takes the worst loop delay, and passes the gc request to each', async () => {
    const a = fakeProcess(stats(1));
    const b = fakeProcess(stats(10));
    const g = new ServerGroup([a, b]);
    expect(await g.stats(true)).toEqual({ ...stats(11), loopDelayMaxMs: 70 });
    expect([a.gcAsked, b.gcAsked]).toEqual([[true], [true]]);
  });

  it('sums recovery packets only over the nodes that report them', async () => {
    expect((await new ServerGroup([fakeProcess(stats(1, 5)), fakeProcess(stats(1)), fakeProcess(stats(1, 7))]).stats(false)).recoveryPackets).toBe(12);
    expect((await new ServerGroup([fakeProcess(stats(1))]).stats(false)).recoveryPackets).toBeUndefined();
  });

  it('stops every node', async () => {
    const nodes = [fakeProcess(stats(1)), fakeProcess(stats(2))];
    await new ServerGroup(nodes).stop();
    expect(nodes.map((n) => n.stopped)).toEqual([true, true]);
  });
});
