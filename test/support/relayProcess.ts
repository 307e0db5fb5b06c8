/**
 * The relay as its own process, as `pnpm start` runs it (server/src/main.ts through tsx, SQLite in `dataDir`), logs
 * captured from stdout. The fault tests kill it and start it again; the soak reads its heap from its own /metrics
 * (prom-client's default process metrics), so the relay's memory is not mixed with the clients'.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class RelayProcess {
  private child: ChildProcess | null = null;
  readonly logs: string[] = [];
  constructor(
    readonly port: number,
    readonly dataDir: string,
    private readonly env: Record<string, string> = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/src/main.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        KINDRED_PORT: String(this.port),
        KINDRED_HOST: '127.0.0.1',
        KINDRED_DATA_DIR: this.dataDir,
        KINDRED_LOG_LEVEL: 'debug',
        KINDRED_RATE_LIMIT: '1000,10000',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) {
          this.logs.push(l);
          if (l.includes('listening on')) resolve();
        }
      });
      child.stderr!.on('data', (d: Buffer) => this.logs.push(d.toString('utf8')));
      child.once('exit', (code) => reject(new Error(`relay exited (${code}): ${this.logs.slice(-5).join(' | ')}`)));
    });
  }

  /** SIGKILL: no shutdown hook runs; SQLite must be consistent on its own. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM: the relay's own shutdown (sockets closed, storage closed). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** The relay's V8 heap in use (bytes), as its /metrics reports it now (not after a collection). */
  async heapUsed(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    const m = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+?\d+)?)$/m.exec(text);
    if (!m) throw new Error('no nodejs_heap_size_used_bytes in /metrics');
    return Number(m[1]);
  }

  diskBytes(): Buffer {
    return Buffer.concat(readdirSync(this.dataDir).map((f) => readFileSync(join(this.dataDir, f))));
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(sig);
    });
  }
}
