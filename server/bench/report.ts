/** Text output of the relay benchmark: one table per scenario, relay against the baseline of the same run. */
import type { StepResult } from './loadStep';
import type { SearchResult } from './scenarios';

export interface TargetFigures {
  joinsPerSec: number;
  rssPerConn: number;
  heapPerConn: number;
  fanout: number;
  /** Repetitions at the fixed rate (20,000 deliveries/s). */
  fixed: StepResult[];
  ceiling: SearchResult;
  /** Repetitions at half the baseline's ceiling. */
  half: StepResult[];
  /** Server heapUsed after the load steps minus before them, after a full GC: buffers that keep relayed data. */
  heapRetainedAfterLoad: number;
}

export interface ScenarioFigures {
  label: string;
  size: number;
  rooms: number;
  fixedRatePerSec: number;
  halfRatePerSec: number;
  baseline: TargetFigures;
  relay?: TargetFigures;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const fmtMs = (n: number): string => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(1)) : 'n/a');
const fmtKb = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(1) : 'n/a');
const fmtRatio = (r: number): string => (Number.isFinite(r) ? `${r.toFixed(2)}x` : 'n/a');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]): string => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]!), sep, ...rows.slice(1).map(line)].join('\n');
}

/** Worst step flags of a set of repetitions: lost deliveries, refused sends, a generator that fell behind. */
function flags(steps: StepResult[], genLagMs: number): string {
  const f: string[] = [];
  if (steps.some((s) => s.lost > 0)) f.push('lost');
  if (steps.some((s) => s.ackErrors > 0)) f.push(`refused:${steps.find((s) => s.firstAckError)?.firstAckError}`);
  if (steps.some((s) => s.sendLagP99Ms > genLagMs)) f.push('generator-lag');
  return f.join(',');
}

export function scenarioTable(s: ScenarioFigures, genLagMs: number): string {
  const b = s.baseline;
  const r = s.relay;
  const rows: string[][] = [['metric', 'baseline', 'relay', 'relay/baseline', 'target', 'flags (b / r)']];
  const add = (metric: string, bv: number, rv: number | undefined, fmt: (n: number) => string, target = '', fl = ''): void => {
    rows.push([metric, fmt(bv), rv === undefined ? 'pending' : fmt(rv), rv === undefined ? '' : fmtRatio(rv / bv), target, fl]);
  };
  const m = (steps: StepResult[] | undefined, k: 'p50Ms' | 'p99Ms' | 'p999Ms'): number | undefined => (steps ? median(steps.map((x) => x[k])) : undefined);
  const fl = (x: StepResult[], y: StepResult[] | undefined): string => {
    const a = flags(x, genLagMs);
    const c = y ? flags(y, genLagMs) : '';
    return a || c ? `${a || '-'} / ${c || '-'}` : '';
  };
  add('ceiling, deliveries/s at p99 <= 50 ms', b.ceiling.ceilingPerSec, r?.ceiling.ceilingPerSec, fmtInt, '>= 0.90x',
    [b.ceiling.capped ? 'b:capped' : '', r?.ceiling.capped ? 'r:capped' : ''].filter(Boolean).join(' '));
  const fixedLabel = `@ ${fmtInt(s.fixedRatePerSec)}/s`;
  add(`p50 ms ${fixedLabel}`, m(b.fixed, 'p50Ms')!, m(r?.fixed, 'p50Ms'), fmtMs, '', fl(b.fixed, r?.fixed));
  add(`p99 ms ${fixedLabel}`, m(b.fixed, 'p99Ms')!, m(r?.fixed, 'p99Ms'), fmtMs);
  add(`p99.9 ms ${fixedLabel}`, m(b.fixed, 'p999Ms')!, m(r?.fixed, 'p999Ms'), fmtMs);
  const halfLabel = `@ ${fmtInt(s.halfRatePerSec)}/s (half baseline ceiling)`;
  add(`p99 ms ${halfLabel}`, m(b.half, 'p99Ms')!, m(r?.half, 'p99Ms'), fmtMs, '<= 1.25x', fl(b.half, r?.half));
  add('connect+auth+join per second', b.joinsPerSec, r?.joinsPerSec, fmtInt);
  add('RSS KB per idle joined connection', b.rssPerConn, r?.rssPerConn, fmtKb, 'relay <= 20 KB');
  add('heapUsed KB per idle joined connection', b.heapPerConn, r?.heapPerConn, fmtKb);
  add('heap MB retained after the load (GC)', b.heapRetainedAfterLoad, r?.heapRetainedAfterLoad, (n) => (n / 2 ** 20).toFixed(1));
  const title = `rooms of ${s.label}: ${s.rooms} x ${s.size} members, fan-out ${b.fanout}${r && r.fanout !== b.fanout ? ` (relay ${r.fanout})` : ''}`;
  return `${title}\n${table(rows)}`;
}

export function stepLine(target: string, st: StepResult): string {
  return (
    `  ${target.padEnd(8)} ${fmtInt(st.deliveriesPerSec).padStart(9)}/s ` +
    `p50 ${fmtMs(st.p50Ms).padStart(6)} p99 ${fmtMs(st.p99Ms).padStart(7)} p99.9 ${fmtMs(st.p999Ms).padStart(7)} ms ` +
    `cpu ${st.serverCpuPct.toFixed(0).padStart(3)}% lag99 ${fmtMs(st.sendLagP99Ms)} ms` +
    `${st.lost ? ` lost ${st.lost}` : ''}${st.ackErrors ? ` refused ${st.ackErrors} (${st.firstAckError})` : ''} ${st.pass ? 'pass' : 'FAIL'}`
  );
}
