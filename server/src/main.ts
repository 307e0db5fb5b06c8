/**
 * `pnpm start`: read the configuration, build the app, listen, print one line with the URL, and shut down cleanly
 * on SIGINT/SIGTERM (sockets closed, storage closed).
 */
import { buildApp } from './app';
import { ConfigError, loadConfig } from './config';

/** The URL to print: a wildcard address is reachable as localhost from this machine. */
function displayUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const kindred = await buildApp(config);
  await kindred.app.listen({ port: config.port, host: config.host });
  const address = kindred.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  // Several nodes (KINDRED_REDIS_URL) fan out through Redis; the URL itself is never printed (it may hold a password).
  const fanOut = config.redisUrl === undefined ? '' : `, fan-out: redis${config.redisCluster ? ' cluster' : ''}`;
  process.stdout.write(`Kindred relay listening on ${displayUrl(config.host, port)} (storage: ${kindred.storage.dialect}${fanOut})\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1); // a second signal: stop waiting
    stopping = true;
    kindred.log.info({ signal }, 'shutting down');
    kindred.close().then(
      () => process.exit(0),
      (err: unknown) => {
        kindred.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('Kindred relay failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
