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
  serverCpus: string;
  generatorCpus: string;
  note: string;
}

export function unpinned(note: string): Pinning {
  return { pinned: false, serverCpus: '', generatorCpus: '', note };
}

/** Pins this process (all its threads) to the generator core and returns what the server should use. */
export function pinGenerator(): Pinning {
  const cores = availableCores();
  const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (!hasTaskset || cores.length < 2) {
    return unpinned(hasTaskset ? 'one core: not pinned' : 'no taskset: not pinned');
  }
  const serverCpus = String(cores[0]);
  const generatorCpus = cores.slice(1).join(',');
  const r = spawnSync('taskset', ['-a', '-p', '-c', generatorCpus, String(process.pid)], { stdio: 'ignore' });
  if (r.status !== 0) return unpinned('taskset failed: not pinned');
  return { pinned: true, serverCpus, generatorCpus, note: `server on cpu ${serverCpus}, generator on cpu ${generatorCpus} (taskset)` };
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

export class ServerProcess {
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
  static async start(script: string, pinning: Pinning, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServerProcess> {
    const entry = fileURLToPath(new URL(script, import.meta.url));
    // tsx's ESM loader, resolved from here so that the child does not depend on its working directory
    const tsx = import.meta.resolve('tsx');
    // BENCH_SERVER_CPU_PROF=<dir>: write a V8 CPU profile of each server child there (to find the relay's hot spots).
    const prof = process.env.BENCH_SERVER_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_SERVER_CPU_PROF}`] : [];
    // BENCH_SERVER_NODE_ARGS="--trace-gc ...": extra Node flags for the server children (diagnostics).
    const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const nodeArgs = ['--expose-gc', ...prof, ...extra, '--import', tsx, entry];
    const [cmd, args] = pinning.pinned
      ? ['taskset', ['-c', pinning.serverCpus, process.execPath, ...nodeArgs]]
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
