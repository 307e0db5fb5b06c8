/**
 * The one module that owns the engine instance (a KindredClient) of this tab. The session store mirrors its state;
 * actions reach it through `sessionStore.run`. Components never touch it.
 */
import type { IdentityKeyPair } from '@kindred/shared/crypto';
import { KindredError } from '@kindred/shared/errors';
import type { KindredClient } from '../engine';

export type EngineFactory = (identity: IdentityKeyPair) => KindredClient;

let factory: EngineFactory = () => {
  throw new KindredError('INTERNAL', 'no engine factory installed');
};
let engine: KindredClient | null = null;
let connecting: Promise<void> | null = null;
const listeners = new Set<(engine: KindredClient | null) => void>();

/** Installed once at start-up (main.tsx) with the real engine; tests install a recording client instead. */
export function setEngineFactory(next: EngineFactory): void {
  factory = next;
}

/** Starts the engine for this identity, replacing (and wiping) any previous one. */
export function startEngine(identity: IdentityKeyPair): KindredClient {
  wipeEngine();
  engine = factory(identity);
  for (const listener of listeners) listener(engine);
  return engine;
}

export function currentEngine(): KindredClient | null {
  return engine;
}

/** The current engine once it is connected and authenticated (connects on first use; retried after a failure). */
export async function connectedEngine(): Promise<KindredClient> {
  const client = engine;
  if (!client) throw new KindredError('INTERNAL', 'no engine');
  if (!connecting) {
    connecting = client.connect().catch((e: unknown) => {
      if (engine === client) connecting = null;
      throw e;
    });
  }
  await connecting;
  return client;
}

/** Wipes every key and plaintext the engine holds and forgets it. Safe to call when there is none. */
export function wipeEngine(): void {
  const old = engine;
  engine = null;
  connecting = null;
  if (old) {
    try {
      old.close();
    } catch (e) {
      // Wiping must never stop a quick exit; the page is being replaced anyway.
      console.error('engine wipe failed', e instanceof KindredError ? e.code : 'unknown');
    }
  }
  for (const listener of listeners) listener(null);
}

/** Called when an engine starts or is wiped (the session store follows it). */
export function onEngineChange(listener: (engine: KindredClient | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
