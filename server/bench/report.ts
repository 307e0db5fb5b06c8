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
  /**
   * Every ceiling search, in order (one without `--searches`): search i of every target ran in lockstep, under the
   * same background. The figure is the median one (`medianCeiling`).
   */
  searches: SearchResult[];
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
  /** The relay as two nodes over PostgreSQL and Redis (`--nodes 2`). */
  nodes2?: TargetFigures;
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
  const n2 = s.nodes2;
  // With two nodes: each two-node figure next to its ratio to the one-node relay and to the baseline.
  const head = n2
    ? ['metric', 'baseline', '1 node', '1 node/baseline', '2 nodes', '2 nodes/1 node', '2 nodes/baseline', 'target', 'flags (b / 1 / 2)']
    : ['metric', 'baseline', 'relay', 'relay/baseline', 'target', 'flags (b / r)'];
  const rows: string[][] = [head];
  const ratio = (x: number | undefined, y: number | undefined): string => (x === undefined || y === undefined ? '' : fmtRatio(x / y));
  const add = (metric: string, bv: number, rv: number | undefined, nv: number | undefined, fmt: (n: number) => string, target = '', fl = ''): void => {
    const one = [fmt(bv), rv === undefined ? 'pending' : fmt(rv), ratio(rv, bv)];
    rows.push(n2 ? [metric, ...one, nv === undefined ? 'n/a' : fmt(nv), ratio(nv, rv), ratio(nv, bv), target, fl] : [metric, ...one, target, fl]);
  };
  const m = (steps: StepResult[] | undefined, k: 'p50Ms' | 'p99Ms' | 'p999Ms'): number | undefined => (steps ? median(steps.map((x) => x[k])) : undefined);
  const fl = (...sets: (StepResult[] | undefined)[]): string => {
    const each = sets.map((x) => (x ? flags(x, genLagMs) : ''));
    return each.some(Boolean) ? each.map((f) => f || '-').join(' / ') : '';
  };
  const stepFlags = (k: 'fixed' | 'half'): string => fl(b[k], r?.[k], ...(n2 ? [n2[k]] : []));
  const capped = [b, r, n2].map((t, i) => (t && medianCeiling(t).capped ? ['b:capped', 'r:capped', '2n:capped'][i] : '')).filter(Boolean).join(' ');
  const searches = b.searches.length;
  const paired = (x: TargetFigures | undefined, y: TargetFigures | undefined): string => {
    const v = x && y ? ceilingRatio(x, y) : undefined;
    return v === undefined ? (x && y ? 'n/a' : '') : fmtRatio(v);
  };
  const ceilingLabel = `ceiling, deliveries/s at p99 <= 50 ms${searches > 1 ? ` (median of ${searches} searches)` : ''}`;
  const fmtC = (t: TargetFigures | undefined): string => (t ? fmtInt(medianCeiling(t).ceilingPerSec) : 'pending');
  rows.push(
    n2
      ? [ceilingLabel, fmtC(b), fmtC(r), paired(r, b), fmtC(n2), paired(n2, r), paired(n2, b), '>= 0.90x', capped]
      : [ceilingLabel, fmtC(b), fmtC(r), paired(r, b), '>= 0.90x', capped],
  );
  if (searches > 1) {
    const each = (t: TargetFigures | undefined): string => (t ? ceilings(t).map(fmtInt).join(' / ') : 'pending');
    const ratios = (x: TargetFigures | undefined, y: TargetFigures | undefined): string => {
      if (!x || !y) return '';
      const den = ceilings(y);
      return ceilings(x).map((v, i) => (den[i]! > 0 ? (v / den[i]!).toFixed(2) : 'n/a')).join(' / ');
    };
    const label = 'ceiling of each search (ratio: median of these)';
    rows.push(n2 ? [label, each(b), each(r), ratios(r, b), each(n2), ratios(n2, r), ratios(n2, b), '', ''] : [label, each(b), each(r), ratios(r, b), '', '']);
  }
  const fixedLabel = `@ ${fmtInt(s.fixedRatePerSec)}/s`;
  add(`p50 ms ${fixedLabel}`, m(b.fixed, 'p50Ms')!, m(r?.fixed, 'p50Ms'), m(n2?.fixed, 'p50Ms'), fmtMs, '', stepFlags('fixed'));
  add(`p99 ms ${fixedLabel}`, m(b.fixed, 'p99Ms')!, m(r?.fixed, 'p99Ms'), m(n2?.fixed, 'p99Ms'), fmtMs);
  add(`p99.9 ms ${fixedLabel}`, m(b.fixed, 'p999Ms')!, m(r?.fixed, 'p999Ms'), m(n2?.fixed, 'p999Ms'), fmtMs);
  const cpu = (steps: StepResult[] | undefined): number | undefined => (steps ? median(steps.map(cpuMicrosPerMessage)) : undefined);
  add(`server CPU us per message ${fixedLabel}`, cpu(b.fixed)!, cpu(r?.fixed), cpu(n2?.fixed), (n) => n.toFixed(0));
  const halfLabel = `@ ${fmtInt(s.halfRatePerSec)}/s (half baseline ceiling)`;
  add(`p99 ms ${halfLabel}`, m(b.half, 'p99Ms')!, m(r?.half, 'p99Ms'), m(n2?.half, 'p99Ms'), fmtMs, '<= 1.25x', stepFlags('half'));
  add('connect+auth+join per second', b.joinsPerSec, r?.joinsPerSec, n2?.joinsPerSec, fmtInt);
  add('RSS KB per idle joined connection', b.rssPerConn, r?.rssPerConn, n2?.rssPerConn, fmtKb, 'relay <= 20 KB');
  add('heapUsed KB per idle joined connection', b.heapPerConn, r?.heapPerConn, n2?.heapPerConn, fmtKb);
  add('heap+external MB retained after load (GC)', b.heapRetainedAfterLoad, r?.heapRetainedAfterLoad, n2?.heapRetainedAfterLoad, (n) => (n / 2 ** 20).toFixed(1));
  const fan = [r && r.fanout !== b.fanout ? `relay ${r.fanout}` : '', n2 && n2.fanout !== b.fanout ? `2 nodes ${n2.fanout}` : ''].filter(Boolean).join(', ');
  const title = `rooms of ${s.label}: ${s.rooms} x ${s.size} members, fan-out ${b.fanout}${fan ? ` (${fan})` : ''}${n2 ? '; 2 nodes: memory and cpu summed over both' : ''}`;
  return `${title}\n${table(rows)}`;
}

/**
 * `num`'s ceiling over `den`'s: the median of the ratios of searches run side by side (search i of one target with
 * search i of the other), so that a noisy moment weighs on one pair, not on the figure. Searches where `den` passed
 * no step give no ratio; undefined when none is left.
 */
export function ceilingRatio(num: TargetFigures, den: TargetFigures): number | undefined {
  const [n, d] = [ceilings(num), ceilings(den)];
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(n.length, d.length); i++) if (d[i]! > 0) ratios.push(n[i]! / d[i]!);
  return ratios.length > 0 ? median(ratios) : undefined;
}

/** Each search's ceiling, in order. */
function ceilings(t: TargetFigures): number[] {
  return t.searches.map((s) => s.ceilingPerSec);
}

/** The target's figure: its search with the median ceiling. */
export function medianCeiling(t: TargetFigures): SearchResult {
  return medianSearch(t.searches);
}

/** The search of `runs` whose ceiling is the median (the lower middle one of an even count). */
export function medianSearch(runs: SearchResult[]): SearchResult {
  if (runs.length === 0) throw new Error('medianSearch: no search');
  const sorted = [...runs].sort((a, b) => a.ceilingPerSec - b.ceilingPerSec);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/**
 * The smallest ratio of `num`'s ceiling to `den`'s over the scenarios (the target must hold for each room size),
 * skipping scenarios where either is missing or the denominator passed no step. Undefined when none is left.
 */
export function worstCeilingRatio(results: ScenarioFigures[], num: (s: ScenarioFigures) => TargetFigures | undefined, den: (s: ScenarioFigures) => TargetFigures | undefined): number | undefined {
  const ratios: number[] = [];
  for (const s of results) {
    const n = num(s);
    const d = den(s);
    const r = n && d ? ceilingRatio(n, d) : undefined;
    if (r !== undefined) ratios.push(r);
  }
  return ratios.length > 0 ? Math.min(...ratios) : undefined;
}

/**
 * The server's CPU time per message of a step, in microseconds: its CPU time over the messages sent, or (a step
 * recorded without them) its CPU share over the messages sent per second.
 */
export function cpuMicrosPerMessage(st: StepResult): number {
  if (st.serverCpuMicros !== undefined && st.sent) return st.serverCpuMicros / st.sent;
  return ((st.serverCpuPct / 100) * 1e6) / st.messagesPerSec;
}

export function stepLine(target: string, st: StepResult): string {
  return (
    `  ${target.padEnd(8)} ${fmtInt(st.deliveriesPerSec).padStart(9)}/s ` +
    `p50 ${fmtMs(st.p50Ms).padStart(6)} p99 ${fmtMs(st.p99Ms).padStart(7)} p99.9 ${fmtMs(st.p999Ms).padStart(7)} ms ` +
    `cpu ${st.serverCpuPct.toFixed(0).padStart(3)}% gc ${(st.serverGcPct ?? 0).toFixed(0).padStart(2)}% loop ${fmtMs(st.serverLoopDelayMaxMs ?? 0).padStart(5)} lag99 ${fmtMs(st.sendLagP99Ms)} ms` +
    `${st.lost ? ` lost ${st.lost}` : ''}${st.ackErrors ? ` refused ${st.ackErrors} (${st.firstAckError})` : ''} ${st.pass ? 'pass' : 'FAIL'}`
  );
}
