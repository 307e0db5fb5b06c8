/**
 * The Redis connection of a relay node (KINDRED_REDIS_URL): one client for the Socket.IO adapter (which duplicates it
 * for its blocking reads and its subscriptions) and for the shared session state. Start-up fails fast when Redis
 * cannot be reached; once connected, the client reconnects by itself after a Redis restart. The client library is
 * loaded only when a node connects (a single node never does: ~10 MB of heap less to carry and mark).
 */

/** Connection attempts at start-up before the relay gives up with an error. */
const START_ATTEMPTS = 3;

export type RedisClient = Awaited<ReturnType<typeof newClient>>;

async function newClient(url: string, connected: () => boolean) {
  const { createClient } = await import('redis');
  return createClient({
    url,
    socket: {
      connectTimeout: 5000,
      // Before the first connection: a few quick tries, then fail (a wrong URL must stop the relay). After it: keep
      // trying with a capped back-off, as a Redis restart should not take the relay down.
      reconnectStrategy: (retries: number, cause: Error) => {
        if (!connected() && retries >= START_ATTEMPTS) return cause;
        return Math.min(100 * 2 ** retries, 2000);
      },
    },
  });
}

export async function connectRedis(url: string, onError: (error: Error) => void): Promise<RedisClient> {
  let connected = false;
  const client = await newClient(url, () => connected);
  // Without a listener an error event would crash the process; the URL may hold a password, so only the error's
  // class is reported.
  client.on('error', (e: Error) => onError(e));
  client.on('ready', () => {
    connected = true;
  });
  await client.connect();
  return client;
}
