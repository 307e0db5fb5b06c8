/**
 * The one module that owns the engine instance. Stores reach the engine only through `currentEngine()`; React
 * components never touch it. The factory is swappable so that component tests run against a scripted engine.
 */
import type { IdentityKeyPair } from '@kindred/shared/crypto';
import { KindredError } from '@kindred/shared/errors';
import type { EngineLike } from './engineLike';

export type EngineFactory = (identity: IdentityKeyPair) => EngineLike;

let factory: EngineFactory = () => {
  throw new KindredError('INTERNAL', 'no engine factory installed');
};
let engine: EngineLike | null = null;
const listeners = new Set<(engine: EngineLike | null) => void>();

/** Installed once at start-up (main.tsx) with the real engine, or by a test with a scripted one. */
export function setEngineFactory(next: EngineFactory): void {
  factory = next;
}

/** Starts the engine for this identity, replacing (and wiping) any previous one. */
export function startEngine(identity: IdentityKeyPair): EngineLike {
  wipeEngine();
  engine = factory(identity);
  for (const listener of listeners) listener(engine);
  return engine;
}

export function currentEngine(): EngineLike | null {
  return engine;
}

/** Wipes every key and plaintext the engine holds and forgets it. Safe to call when there is none. */
export function wipeEngine(): void {
  const old = engine;
  engine = null;
  if (old) {
    try {
      old.wipe();
    } catch (e) {
      // Wiping must never stop a quick exit; the page is being replaced anyway.
      console.error('engine wipe failed', e instanceof KindredError ? e.code : 'unknown');
    }
  }
  for (const listener of listeners) listener(null);
}

/** Called when an engine starts or is wiped (the session store follows it). */
export function onEngineChange(listener: (engine: EngineLike | null) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
