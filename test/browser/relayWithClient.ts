/**
 * The real relay (buildApp from '@kindred/server') serving the BUILT web client (client/dist) on 127.0.0.1, port 0,
 * with SQLite in memory. Every relay log line is kept in memory so the test can check that no plaintext reached it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { buildApp, defaultConfig, IN_MEMORY, type KindredApp } from '@kindred/server';

/** client/dist of this checkout (test/browser -> ../../client/dist). */
export const CLIENT_DIST = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** Throws (never skips) when the client is not built: the browser tests exercise the built bundle under its CSP. */
export function requireBuiltClient(dir: string = CLIENT_DIST): void {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(
      `The web client is not built (${join(dir, 'index.html')} is missing). Build it with ` +
        '`pnpm --filter @kindred/client run build` (or run `pnpm test`, which builds it first), then run the browser tests again.',
    );
  }
}

export interface RelayWithClient {
  /** http://127.0.0.1:<port>: the only origin a page may talk to. */
  origin: string;
  app: KindredApp;
  /** Every log line the relay wrote. */
  logs: string[];
  close(): Promise<void>;
}

export async function startRelayWithClient(clientDir: string = CLIENT_DIST): Promise<RelayWithClient> {
  requireBuiltClient(clientDir);
  const logs: string[] = [];
  const config = defaultConfig({ port: 0, host: '127.0.0.1', dataDir: IN_MEMORY, clientDir, logLevel: 'debug' });
  const app = await buildApp(config, { logStream: { write: (line: string) => void logs.push(line) } });
  await app.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.app.server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, app, logs, close: () => app.close() };
}
