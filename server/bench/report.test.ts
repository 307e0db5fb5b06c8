import { describe, expect, it } from 'vitest';
import { scenarioTable, worstCeilingRatio, type ScenarioFigures, type TargetFigures } from './report';
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

const figures = (ceiling: number, p99Ms = 10): TargetFigures => ({
  joinsPerSec: 100,
  rssPerConn: 1024,
  heapPerConn: 2048,
  fanout: 10,
  fixed: [step(p99Ms)],
  ceiling: { ceilingPerSec: ceiling, steps: [], capped: false },
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

describe('scenarioTable', () => {
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
});
