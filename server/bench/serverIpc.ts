/**
 * The IPC messages between the benchmark and a server child process (baseline or relay). The child reports its
 * own memory and CPU time so that the figures are the server's, not the generator's.
 */
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
}

export type ParentToChild = { type: 'stats'; id: number; gc: boolean } | { type: 'stop' };

export type ChildToParent =
  | { type: 'ready'; port: number; detail: string }
  | { type: 'stats'; id: number; stats: ServerStats }
  | { type: 'failed'; message: string };

/** Hard lifetime of a child: whatever happens to the parent, the server stops by itself. */
export const CHILD_MAX_LIFETIME_MS = 45 * 60_000;

/** Wires a child process to the parent: answers stats requests, stops on request, on disconnect or at its lifetime. */
export function serveChildIpc(opts: { stats: () => Omit<ServerStats, 'cpuMicros'>; stop: () => Promise<void> }): void {
  const send = (msg: ChildToParent): void => {
    process.send?.(msg);
  };
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(0), 5_000);
    hard.unref();
    opts.stop().finally(() => process.exit(0));
  };
  process.on('message', (raw: ParentToChild) => {
    if (raw.type === 'stop') {
      stop();
      return;
    }
    if (raw.type === 'stats') {
      if (raw.gc) runGc();
      const cpu = process.cpuUsage();
      send({ type: 'stats', id: raw.id, stats: { ...opts.stats(), cpuMicros: cpu.user + cpu.system } });
    }
  });
  process.on('disconnect', stop);
  setTimeout(stop, CHILD_MAX_LIFETIME_MS).unref();
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
