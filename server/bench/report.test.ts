import { describe, expect, it } from 'vitest';
import { ceilingRatio, cpuMicrosPerMessage, medianSearch, scenarioTable, worstCeilingRatio, type ScenarioFigures, type TargetFigures } from './report';
import type { StepResult } from './loadStep';

const step = (p99Ms: number): StepResult => ({
  deliveriesPerSec: 20_000,
  messagesPerSec: 2_000,
  achievedDeliveriesPerSec: 20_000,
  expected: 100,
  delivered: 100,
  lost: 0,
  ackErrors: 0,
  p50Ms: p99Ms / 2,
  p99Ms,
  p999Ms: p99Ms * 1.5,
  maxMs: p99Ms * 2,
  sendLagP99Ms: 1,
  serverCpuPct: 50,
  pass: true,
});

const search = (ceilingPerSec: number): TargetFigures['searches'][number] => ({ ceilingPerSec, steps: [], capped: false });

const figures = (ceiling: number, p99Ms = 10, runs: number[] = [ceiling]): TargetFigures => ({
  joinsPerSec: 100,
  rssPerConn: 1024,
  heapPerConn: 2048,
  fanout: 10,
  fixed: [step(p99Ms)],
  searches: runs.map(search),
  half: [step(p99Ms)],
  heapRetainedAfterLoad: 0,
});

const scenario = (b: number, r: number | undefined, n2: number | undefined): ScenarioFigures => ({
  label: '10',
  size: 10,
  rooms: 10,
  fixedRatePerSec: 20_000,
  halfRatePerSec: b / 2,
  baseline: figures(b),
  ...(r !== undefined ? { relay: figures(r, 20) } : {}),
  ...(n2 !== undefined ? { nodes2: figures(n2, 40) } : {}),
});

describe('worstCeilingRatio', () => {
  it('is the smallest ratio over the room sizes, skipping a missing target or a denominator without a ceiling', () => {
    const results = [scenario(40_000, 20_000, 30_000), scenario(10_000, 8_000, 2_000), scenario(0, 5_000, 5_000), scenario(1_000, undefined, undefined)];
    expect(worstCeilingRatio(results, (s) => s.relay, (s) => s.baseline)).toBeCloseTo(0.5);
    expect(worstCeilingRatio(results, (s) => s.nodes2, (s) => s.relay)).toBeCloseTo(0.25);
    expect(worstCeilingRatio([scenario(0, 1, 1)], (s) => s.relay, (s) => s.baseline)).toBeUndefined();
  });
});

describe('several ceiling searches', () => {
  it('takes the median of the ratios of searches run side by side, not the ratio of the medians', () => {
    // Search 2 was a noisy moment for both; pairing keeps it from deciding the figure.
    const base = figures(60_000, 10, [60_000, 30_000, 70_000]);
    const relay = figures(45_000, 10, [45_000, 27_000, 63_000]);
    expect(ceilingRatio(relay, base)).toBeCloseTo(0.9); // ratios 0.75, 0.9, 0.9
    expect(45_000 / 60_000).toBeCloseTo(0.75); // what the medians alone would say
  });

  it('skips searches where the denominator passed no step, and gives none when no search is left', () => {
    expect(ceilingRatio(figures(1, 10, [10, 20]), figures(1, 10, [0, 40]))).toBeCloseTo(0.5);
    expect(ceilingRatio(figures(1, 10, [10]), figures(0, 10, [0]))).toBeUndefined();
  });

  it('reports the search with the median ceiling (the lower middle one of an even count)', () => {
    expect(medianSearch([search(30), search(10), search(20)]).ceilingPerSec).toBe(20);
    expect(medianSearch([search(40), search(10), search(30), search(20)]).ceilingPerSec).toBe(20);
    expect(() => medianSearch([])).toThrow();
  });

  it('shows each search and its ratio in the table', () => {
    const s: ScenarioFigures = { ...scenario(60_000, 45_000, undefined), baseline: figures(60_000, 10, [60_000, 30_000, 70_000]), relay: figures(45_000, 20, [45_000, 27_000, 63_000]) };
    const lines = scenarioTable(s, 10).split('\n');
    const cells = (prefix: string): string[] => lines.find((l) => l.startsWith(prefix))!.split('|').map((c) => c.trim());
    expect(cells('| ceiling, deliveries/s').slice(1, 5)).toEqual(['ceiling, deliveries/s at p99 <= 50 ms (median of 3 searches)', '60,000', '45,000', '0.90x']);
    expect(cells('| ceiling of each search').slice(2, 5)).toEqual(['60,000 / 30,000 / 70,000', '45,000 / 27,000 / 63,000', '0.75 / 0.90 / 0.90']);
    expect(worstCeilingRatio([s], (x) => x.relay, (x) => x.baseline)).toBeCloseTo(0.9);
  });
});

describe('scenarioTable', () => {
  it('has no per-search row after a single search', () => {
    expect(scenarioTable(scenario(40_000, 20_000, undefined), 10)).not.toContain('each search');
  });

  it('keeps the one-node layout without a second relay', () => {
    const t = scenarioTable(scenario(40_000, 20_000, undefined), 10);
    expect(t.split('\n')[1]).toMatch(/^\| metric +\| baseline \| relay +\| relay\/baseline \|/);
    expect(t).not.toContain('2 nodes');
  });

  it('gives each two-node figure with its ratio to one node and to the baseline', () => {
    const t = scenarioTable(scenario(40_000, 20_000, 30_000), 10);
    const ceiling = t.split('\n').find((l) => l.startsWith('| ceiling'))!;
    const cells = ceiling.split('|').map((c) => c.trim());
    // metric, baseline, 1 node, 1 node/baseline, 2 nodes, 2 nodes/1 node, 2 nodes/baseline
    expect(cells.slice(2, 8)).toEqual(['40,000', '20,000', '0.50x', '30,000', '1.50x', '0.75x']);
    const p99 = t.split('\n').find((l) => l.startsWith('| p99 ms @ 20,000/s '))!;
    expect(p99.split('|').map((c) => c.trim()).slice(5, 8)).toEqual(['40.0', '2.00x', '4.00x']);
  });

  it('gives the CPU time per message from a step\'s CPU share and message rate', () => {
    // 50 % of a core at 2,000 messages/s: 250 us of CPU per message.
    expect(cpuMicrosPerMessage(step(10))).toBe(250);
    expect(cpuMicrosPerMessage({ ...step(10), serverCpuPct: 20, messagesPerSec: 1_000 })).toBe(200);
    expect(cpuMicrosPerMessage({ ...step(10), serverCpuMicros: 1_500_000, sent: 12_000 })).toBe(125);
    expect(scenarioTable(scenario(40_000, 30_000, undefined), 10)).toMatch(/server CPU us per message @ 20,000\/s +\| 250 +\| 250 +\| 1\.00x/);
  });
});
