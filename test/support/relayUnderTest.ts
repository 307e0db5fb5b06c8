/**
 * The REAL relay (buildApp from '@kindred/server') for the integration and adversarial suites: port 0, SQLite in memory or in a
 * temporary directory (restart keeps the same port and the same file), every log line captured in memory, and a
 * WireTap on its Socket.IO server that records what it sends and receives and lets a test play a dishonest relay.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildApp, defaultConfig, IN_MEMORY, type Config, type KindredApp } from '@kindred/server';
import { initCrypto } from '@kindred/shared/crypto';
import { WireTap } from './wireTap';

export interface RelayOptions {
  /** 'disk' (default): a temporary SQLite directory that survives restart(); 'memory': nothing survives. */
  storage?: 'disk' | 'memory';
  /** Record every packet (default true; the load test turns it off to measure the relay, not the recorder). */
  record?: boolean;
  config?: Partial<Config>;
  /** The relay's clock (default: the app's own). */
  now?: () => number;
}

export interface RelayUnderTest {
  url: string;
  port: number;
  app: KindredApp;
  tap: WireTap;
  /** Every log line the relay wrote (all restarts). */
  logs: string[];
  /** Closes the app (sockets, HTTP, storage) and builds a new one on the same port and database. */
  restart(): Promise<void>;
  close(): Promise<void>;
  /** Every byte the relay keeps on disk (the SQLite file and its WAL/SHM), concatenated; empty in memory. */
  diskBytes(): Buffer;
  /** GET /healthz status code. */
  health(): Promise<number>;
}

export async function startRelay(opts: RelayOptions = {}): Promise<RelayUnderTest> {
  await initCrypto();
  const dataDir = opts.storage === 'memory' ? IN_MEMORY : mkdtempSync(join(tmpdir(), 'kindred-relay-'));
  const logs: string[] = [];
  const logStream = { write: (line: string) => void logs.push(line) };
  const tap = new WireTap(opts.record ?? true);
  const config = defaultConfig({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'debug',
    // The fuzzers and the load test send far more than a person does; flood control has its own test.
    rateLimit: { perSecond: 10_000, burst: 100_000 },
    ...opts.config,
  });
  const build = async (port: number): Promise<{ app: KindredApp; port: number }> => {
    const app = await buildApp({ ...config, port }, { logStream, ...(opts.now ? { now: opts.now } : {}) });
    tap.attach(app.io);
    await app.app.listen({ port, host: '127.0.0.1' });
    return { app, port: (app.app.server.address() as AddressInfo).port };
  };
  let current = await build(0);
  const relay: RelayUnderTest = {
    url: `http://127.0.0.1:${current.port}`,
    port: current.port,
    app: current.app,
    tap,
    logs,
    async restart() {
      await current.app.close();
      current = await build(relay.port);
      relay.app = current.app;
    },
    async close() {
      await current.app.close();
      if (dataDir !== IN_MEMORY) rmSync(dataDir, { recursive: true, force: true });
    },
    diskBytes() {
      if (dataDir === IN_MEMORY) return Buffer.alloc(0);
      return Buffer.concat(readdirSync(dataDir).map((f) => readFileSync(join(dataDir, f))));
    },
    async health() {
      const res = await fetch(`${relay.url}/healthz`);
      await res.arrayBuffer();
      return res.status;
    },
  };
  return relay;
}
