/**
 * The IPC messages between the benchmark and a server child process (baseline or relay). The child reports its
 * own memory and CPU time so that the figures are the server's, not the generator's.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay, type PerformanceEntry } from 'node:perf_hooks';

export interface ServerStats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** process.cpuUsage() user + system, in microseconds since the child started. */
  cpuMicros: number;
  /** Socket.IO connections the child currently holds (engine.clientsCount). */
  connections: number;
  /** Packets held by Socket.IO's connection-state-recovery buffer (the adapter's `packets`), when it is on. */
  recoveryPackets?: number;
  /** The child's longest event-loop delay since the previous stats request, in ms (perf_hooks, 5 ms resolution). */
  loopDelayMaxMs: number;
  /** Time the child spent in garbage-collection pauses since the previous stats request, in ms (perf_hooks 'gc'). */
  gcMs: number;
}

export type ParentToChild = { type: 'stats'; id: number; gc: boolean } | { type: 'stop' };

export type ChildToParent =
  | { type: 'ready'; port: number; detail: string }
  | { type: 'stats'; id: number; stats: ServerStats }
  | { type: 'failed'; message: string };

/** Hard lifetime of a child: whatever happens to the parent, the server stops by itself. */
export const CHILD_MAX_LIFETIME_MS = 45 * 60_000;

/** Wires a child process to the parent: answers stats requests, stops on request, on disconnect or at its lifetime. */
export function serveChildIpc(opts: { stats: () => Omit<ServerStats, 'cpuMicros' | 'loopDelayMaxMs' | 'gcMs'>; stop: () => Promise<void> }): void {
  // A stall of the server's own event loop (GC, a long task) shows here; a delay elsewhere (kernel, generator) does not.
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let gcMs = 0;
  const recentGc: { start: number; ms: number; kind: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration;
      recentGc.push({ start: entry.startTime, ms: entry.duration, kind: ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0) });
      if (recentGc.length > 200) recentGc.shift();
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  if (process.env.BENCH_STALL_LOG) logStalls(Number(process.env.BENCH_STALL_LOG) || 40, recentGc);
  const allocationProfile = process.env.BENCH_SERVER_ALLOC_PROF ? sampleAllocations(process.env.BENCH_SERVER_ALLOC_PROF) : undefined;
  const send = (msg: ChildToParent): void => {
    process.send?.(msg);
  };
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(0), 5_000);
    hard.unref();
    const profiled = allocationProfile ? allocationProfile().catch(() => undefined) : Promise.resolve();
    void profiled.then(() => opts.stop()).finally(() => process.exit(0));
  };
  process.on('message', (raw: ParentToChild) => {
    if (raw.type === 'stop') {
      stop();
      return;
    }
    if (raw.type === 'stats') {
      if (raw.gc) runGc();
      const cpu = process.cpuUsage();
      const loopDelayMaxMs = loop.max / 1e6;
      loop.reset();
      send({ type: 'stats', id: raw.id, stats: { ...opts.stats(), cpuMicros: cpu.user + cpu.system, loopDelayMaxMs, gcMs } });
      gcMs = 0;
    }
  });
  process.on('disconnect', stop);
  setTimeout(stop, CHILD_MAX_LIFETIME_MS).unref();
}

/**
 * `BENCH_STALL_LOG=ms` (diagnostics): prints each event-loop stall longer than `ms` with the GC pauses that fell in
 * it (perf_hooks kinds: 1 minor (scavenge), 4 major (mark-compact), 8 incremental marking, 16 weak callbacks), to tell GC from other work.
 */
function logStalls(thresholdMs: number, recentGc: readonly { start: number; ms: number; kind: number }[]): void {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const stall = now - last - 5;
    if (stall > thresholdMs) {
      const inside = recentGc.filter((g) => g.start >= last - 5 && g.start <= now);
      const gc = inside.reduce((n, g) => n + g.ms, 0);
      console.log(`[stall ${process.pid}] ${stall.toFixed(0)} ms at ${(now / 1000).toFixed(1)} s; GC pauses in it: ${gc.toFixed(0)} ms (${inside.map((g) => `${g.kind}:${g.ms.toFixed(0)}`).join(' ')})`);
    }
    last = now;
  }, 5).unref();
}

/**
 * `BENCH_SERVER_ALLOC_PROF=dir` (diagnostics): V8's sampling heap profiler for the child's whole life, counting
 * objects that were collected too (what a garbage-heavy path allocates, not only what stays). Returns the function
 * that writes `dir/alloc-<pid>.heapprofile` (open it in Chrome DevTools, or sum `selfSize` per call frame).
 * `BENCH_SERVER_ALLOC_PROF_PROMOTED=1` leaves out what the young generation's scavenges collected: what remains is
 * what was promoted to the old generation (kept, or collected later by a mark-compact), the work of the major GCs.
 * `BENCH_SERVER_ALLOC_PROF_WINDOW=from-to` samples only from `from` to `to` ms after the child started (e.g.
 * `25000-60000`: the load steps of `--rooms 10 --cpu 3`, without the joins and the shutdown).
 */
function sampleAllocations(dir: string): () => Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object): Promise<unknown> =>
    new Promise((resolve, reject) => session.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result))));
  const rawWindow = process.env.BENCH_SERVER_ALLOC_PROF_WINDOW ?? '';
  const window = /^(\d+)-(\d+)$/.exec(rawWindow);
  if (rawWindow !== '' && !window) throw new Error(`BENCH_SERVER_ALLOC_PROF_WINDOW must be from-to in ms (e.g. 25000-60000), not ${rawWindow}`);
  const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
  const includeObjectsCollectedByMinorGC = process.env.BENCH_SERVER_ALLOC_PROF_PROMOTED !== '1';
  const started = sleep(window ? Number(window[1]) : 0)
    .then(() => post('HeapProfiler.enable'))
    .then(() => post('HeapProfiler.startSampling', { samplingInterval: 16_384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC }));
  let written: Promise<void> | undefined;
  const write = (): Promise<void> =>
    (written ??= started.then(async () => {
      // Without a scavenge first, the young generation's not yet collected garbage would count as promoted.
      if (!includeObjectsCollectedByMinorGC) (globalThis as { gc?: (o: { type: string }) => void }).gc?.({ type: 'minor' });
      const { profile } = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `alloc-${process.pid}.heapprofile`), JSON.stringify(profile));
      session.disconnect();
    }));
  if (window) void sleep(Number(window[2])).then(write);
  return write;
}

export function memoryStats(): Pick<ServerStats, 'rss' | 'heapUsed' | 'heapTotal' | 'external'> {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external };
}

/** Full collection, twice (the first frees, the second compacts what finalizers released), when --expose-gc is on. */
function runGc(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  gc();
}

export function reportReady(port: number, detail: string): void {
  process.send?.({ type: 'ready', port, detail } satisfies ChildToParent);
}

export function reportFailed(err: unknown): void {
  process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies ChildToParent);
}

/**
 * How the parent tells a relay child to be one node of a cluster (`--nodes 2`; all four variables or none, see
 * relayServer.ts). Here rather than in benchCluster.ts, so that a one-node relay child does not load the PostgreSQL
 * and Redis clients (~12 MB of heap) it never uses.
 */
export const CLUSTER_ENV = {
  databaseUrl: 'BENCH_NODE_DATABASE_URL',
  schema: 'BENCH_NODE_SCHEMA',
  redisUrl: 'BENCH_NODE_REDIS_URL',
  redisPrefix: 'BENCH_NODE_REDIS_PREFIX',
} as const;
