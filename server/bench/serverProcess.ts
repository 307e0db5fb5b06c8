/**
 * Starts a server child process for the benchmark, pinned to its own core when `taskset` exists, and talks to it
 * over IPC (ready port, memory and CPU stats, stop). The child runs with --expose-gc so that memory is measured
 * after a full collection.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildToParent, ParentToChild, ServerStats } from './serverIpc';

export interface Pinning {
  /** True when the server and the generator run on different cores. */
  pinned: boolean;
  /** Cores of the single-process servers (baseline, one-node relay). */
  serverCpus: string;
  /** Cores of each node of a multi-node relay, one entry per node (empty when not pinned or one node). */
  nodeCpus: string[];
  generatorCpus: string;
  note: string;
}

export function unpinned(note: string): Pinning {
  return { pinned: false, serverCpus: '', nodeCpus: [], generatorCpus: '', note };
}

/**
 * Where each process goes, given the cores this process may use and the relay's node count. Servers share the
 * first core (so the baseline and the one-node relay get the same one); with several nodes and enough cores each
 * node gets a core of its own and the generator keeps at least one; with too few cores every node shares the
 * first core, and the note says so (two nodes on one core measure the cluster's overhead, not its scaling).
 */
export function planPinning(cores: number[], nodes: number): Pinning {
  if (cores.length < 2) return unpinned('one core: not pinned');
  const first = String(cores[0]);
  const ownCores = nodes > 1 && cores.length >= nodes + 1;
  const nodeCpus = nodes > 1 ? Array.from({ length: nodes }, (_, i) => String(ownCores ? cores[i] : cores[0])) : [];
  const generator = cores.slice(ownCores ? nodes : 1).join(',');
  const nodesNote =
    nodes > 1 ? `; ${nodes} relay nodes on ${ownCores ? `cpus ${nodeCpus.join(', ')} (one each)` : `cpu ${first} together (${cores.length} cores: no core of their own)`}` : '';
  return {
    pinned: true,
    serverCpus: first,
    nodeCpus,
    generatorCpus: generator,
    note: `baseline and one-node relay on cpu ${first}${nodesNote}, generator on cpu ${generator} (taskset)`,
  };
}

/** Pins this process (all its threads) to the generator core(s) and returns what the servers should use. */
export function pinGenerator(nodes = 1): Pinning {
  const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!hasTaskset) return unpinned('no taskset: not pinned');
  const plan = planPinning(availableCores(), nodes);
  if (!plan.pinned) return plan;
  const r = spawnSync('taskset', ['-a', '-p', '-c', plan.generatorCpus, String(process.pid)], { stdio: 'ignore' });
  if (r.status !== 0) return unpinned('taskset failed: not pinned');
  return plan;
}

function availableCores(): number[] {
  const r = spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' });
  const list = r.status === 0 ? /:\s*([\d,\s-]+)$/.exec(r.stdout.trim())?.[1] : undefined;
  if (!list) return [];
  const cores: number[] = [];
  for (const part of list.split(',')) {
    const [a, b] = part.trim().split('-').map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    for (let c = a; c <= (b ?? a); c++) cores.push(c);
  }
  return cores;
}

/** What the measurements need of a server under test: its memory and CPU (summed over its processes). */
export interface StatsSource {
  stats(gc: boolean, timeoutMs?: number): Promise<ServerStats>;
}

export class ServerProcess implements StatsSource {
  private nextId = 0;
  private readonly pending = new Map<number, (s: ServerStats) => void>();
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly detail: string,
  ) {
    child.on('message', (msg: ChildToParent) => {
      if (msg.type !== 'stats') return;
      this.pending.get(msg.id)?.(msg.stats);
      this.pending.delete(msg.id);
    });
    child.on('exit', () => {
      this.exited = true;
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Spawns `script` (a .ts file next to this one) under tsx, waits for it to report its port. */
  static async start(script: string, pinning: Pinning, env: Record<string, string> = {}, timeoutMs = 60_000, cpus = pinning.serverCpus): Promise<ServerProcess> {
    const entry = fileURLToPath(new URL(script, import.meta.url));
    // tsx's ESM loader, resolved from here so that the child does not depend on its working directory
    const tsx = import.meta.resolve('tsx');
    // BENCH_SERVER_CPU_PROF=<dir>: write a V8 CPU profile of each server child there (to find the relay's hot spots).
    const prof = process.env.BENCH_SERVER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_CPU_PROF}`] : [];
    // BENCH_SERVER_NODE_ARGS="--trace-gc ...": extra Node flags for the server children (diagnostics).
    // BENCH_RELAY_NODE_ARGS: the same, for the relay children only (to try a runtime setting on one side).
    const words = (v: string | undefined): string[] => (v ?? '').split(' ').filter(Boolean);
    const extra = [...words(process.env.BENCH_SERVER_NODE_ARGS), ...(script.includes('relayServer') ? words(process.env.BENCH_RELAY_NODE_ARGS) : [])];
    const nodeArgs = ['--expose-gc', ...prof, ...extra, '--import', tsx, entry];
    const [cmd, args] = pinning.pinned
      ? ['taskset', ['-c', cpus, process.execPath, ...nodeArgs]]
      : [process.execPath, nodeArgs];
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: 'production', ...env },
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', function onMessage(msg: ChildToParent) {
        if (msg.type === 'ready') {
          clearTimeout(timer);
          child.off('message', onMessage);
          resolve(new ServerProcess(child, msg.port, msg.detail));
        } else if (msg.type === 'failed') {
          clearTimeout(timer);
          child.kill('SIGKILL');
          reject(new Error(`${script} failed to start: ${msg.message}`));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited with code ${code} before it was ready`));
      });
    });
  }

  /** Memory and CPU of the server, optionally after a full GC. */
  stats(gc: boolean, timeoutMs = 10_000): Promise<ServerStats> {
    if (this.exited) return Promise.reject(new Error('server process has exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('server stats timed out'));
      }, timeoutMs);
      this.pending.set(id, (s) => {
        clearTimeout(timer);
        resolve(s);
      });
      this.child.send({ type: 'stats', id, gc } satisfies ParentToChild);
    });
  }

  /** Asks the child to stop, kills it if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 8_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    try {
      this.child.send({ type: 'stop' } satisfies ParentToChild);
    } catch {
      // IPC already closed: the kill below still applies
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * The processes of one multi-node relay seen as one server: stats are the sum over the nodes (memory, CPU time in
 * core-microseconds, connections), so "cpu %" of a step can exceed 100 (two nodes, two cores' worth).
 */
export class ServerGroup implements StatsSource {
  constructor(readonly processes: readonly (StatsSource & Pick<ServerProcess, 'stop'>)[]) {}

  async stats(gc: boolean, timeoutMs?: number): Promise<ServerStats> {
    const all = await Promise.all(this.processes.map((p) => p.stats(gc, timeoutMs)));
    const sum = (k: 'rss' | 'heapUsed' | 'heapTotal' | 'external' | 'cpuMicros' | 'connections' | 'gcMs'): number => all.reduce((n, s) => n + s[k], 0);
    const recovery = all.map((s) => s.recoveryPackets).filter((n): n is number => n !== undefined);
    return {
      rss: sum('rss'),
      heapUsed: sum('heapUsed'),
      heapTotal: sum('heapTotal'),
      external: sum('external'),
      cpuMicros: sum('cpuMicros'),
      connections: sum('connections'),
      // The worst node's stall: a delivery waits for the slower of the two.
      loopDelayMaxMs: Math.max(...all.map((s) => s.loopDelayMaxMs)),
      gcMs: sum('gcMs'),
      ...(recovery.length > 0 ? { recoveryPackets: recovery.reduce((a, b) => a + b, 0) } : {}),
    };
  }

  async stop(timeoutMs?: number): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop(timeoutMs)));
  }
}
