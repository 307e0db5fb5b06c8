/**
 * Test support (imported by tests only): a three-master Redis Cluster of the test's own, on loopback ports, with
 * nothing on disk that outlives it (`--save ""`, no AOF, node configs in a temporary directory deleted at stop).
 * Started with the machine's redis-server and redis-cli (the same Redis 7 the other tests use); a test file starts
 * one in beforeAll and stops it in afterAll. A test process that exits or is killed takes its Redis processes with it
 * (an exit hook, and a watchdog per Redis process).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRedisCluster {
  /** A seed node's URL, for KINDRED_REDIS_URL with KINDRED_REDIS_CLUSTER. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

const MASTERS = 3;
/** A hook that starts a cluster may take this long on a loaded machine (the default hook timeout is 10 s). */
export const CLUSTER_HOOK_TIMEOUT_MS = 60_000;
/** Redis Cluster's bus listens on the client port + 10000: both must be free. */
const BUS_OFFSET = 10_000;
const START_TIMEOUT_MS = 20_000;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port P with P and P + BUS_OFFSET free now, from a random start so that parallel test files rarely meet. */
async function freePortPair(taken: ReadonlySet<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.has(port) || taken.has(port + BUS_OFFSET) || taken.has(port - BUS_OFFSET)) continue;
    if ((await canBind(port)) && (await canBind(port + BUS_OFFSET))) return port;
  }
  throw new Error('no free loopback port pair for a Redis Cluster node');
}

/** One RESP command over a fresh connection (inline form); resolves with the raw reply. */
function command(port: number, line: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no answer to ${line}`));
    }, timeoutMs);
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      // A simple string or error (one line), or a bulk string ($<len>\r\n<body>\r\n) received whole.
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if ((!bulk && reply.endsWith('\r\n')) || (bulk && reply.length >= bulk[0].length + Number(bulk[1]) + 2)) {
        clearTimeout(timer);
        socket.end();
        resolve(reply);
      }
    });
    socket.write(`${line}\r\n`);
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, exited: () => string | undefined): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const dead = exited();
    if (dead !== undefined) throw new Error(`${what}: ${dead}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${START_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}

/**
 * A killed test process (SIGKILL, a run's timeout) runs no exit hook: a watchdog of its own, outside the test's
 * process group, kills the Redis process and deletes the directory once the test process is gone. It ends with the
 * Redis process otherwise.
 */
function watchOver(child: ChildProcess, dir: string): void {
  const script =
    'while kill -0 "$0" 2>/dev/null && kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
    'if ! kill -0 "$0" 2>/dev/null; then kill -9 "$1" 2>/dev/null; rm -rf "$2"; fi';
  const watchdog = spawn('sh', ['-c', script, String(process.pid), String(child.pid), dir], { stdio: 'ignore', detached: true });
  watchdog.unref();
}

export async function startRedisCluster(): Promise<LocalRedisCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'kindred-redis-cluster-'));
  const processes: ChildProcess[] = [];
  const killAll = (): void => {
    for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  };
  process.once('exit', killAll);
  const ports: number[] = [];
  const stop = async (): Promise<void> => {
    const exits = processes.map((p) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r))));
    killAll();
    await Promise.all(exits);
    process.removeListener('exit', killAll);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const taken = new Set<number>();
    for (let i = 0; i < MASTERS; i++) {
      // Another process may take the port between the check and redis-server's bind: then try another one.
      for (let attempt = 0; ; attempt++) {
        const port = await freePortPair(taken);
        const output: string[] = [];
        const child = spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout', '5000', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
        child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
        processes.push(child);
        watchOver(child, dir);
        const exited = (): string | undefined => (child.exitCode !== null || child.signalCode !== null ? `redis-server exited: ${output.join('')}` : undefined);
        try {
          await until(`redis-server on ${port}`, async () => (await command(port, 'PING')).startsWith('+PONG'), exited);
          ports.push(port);
          taken.add(port);
          break;
        } catch (e) {
          child.kill('SIGKILL');
          if (attempt >= 4) throw e;
        }
      }
    }
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: START_TIMEOUT_MS,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
    // Every node must see every slot served (cluster_state:ok) before a client asks it for the topology.
    for (const port of ports) {
      await until(
        `Redis Cluster node ${port}`,
        async () => {
          const info = await command(port, 'CLUSTER INFO');
          return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${MASTERS}`);
        },
        () => undefined,
      );
    }
    return { url: `redis://127.0.0.1:${ports[0]}`, ports, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
