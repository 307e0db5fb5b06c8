/**
 * The Redis connection of a relay node (KINDRED_REDIS_URL): one client for the Socket.IO adapter (which duplicates it
 * for its blocking reads and its subscriptions) and for the shared session state. Start-up fails fast when Redis
 * cannot be reached; once connected, the client reconnects by itself after a Redis restart.
 */
import { createClient } from 'redis';

/** Connection attempts at start-up before the relay gives up with an error. */
const START_ATTEMPTS = 3;

export type RedisClient = ReturnType<typeof newClient>;

function newClient(url: string, connected: () => boolean) {
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
  const client = newClient(url, () => connected);
  // Without a listener an error event would crash the process; the URL may hold a password, so only the error's
  // class is reported.
  client.on('error', (e: Error) => onError(e));
  client.on('ready', () => {
    connected = true;
  });
  await client.connect();
  return client;
}
