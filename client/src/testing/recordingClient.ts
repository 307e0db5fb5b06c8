/**
 * For component tests: a stand-in for the engine instance that records each method called on it and publishes a
 * fixture state (testing/engineFixtures.ts). It has no interface of its own to keep in step with the engine: any
 * KindredClient method can be called, and resolves (or fails once, when told to).
 */
import { KindredError, type ErrorCode } from '@kindred/shared/errors';
import type { EngineState, KindredClient } from '../engine';
import { setEngineFactory, startEngine } from '../store/engineHost';
import { ME, cardOpen } from './engineFixtures';

export interface Call {
  method: string;
  args: unknown[];
}

export interface Recorder {
  calls: Call[];
  called(method: string): Call[];
  /** Publishes a new engine state, as the engine does on every change. */
  set(state: EngineState): void;
  /** The next call of `method` fails with this code. */
  failNext(method: string, code: ErrorCode): void;
  closed(): boolean;
}

/** Starts a recording client as the current engine (a fixture state first) and returns its recorder. */
export function installRecordingClient(initial: EngineState = cardOpen()): Recorder {
  const { client, recorder } = recordingClient(initial);
  setEngineFactory(() => client);
  startEngine({ publicKey: new Uint8Array(32), secretKey: new Uint8Array(64) });
  return recorder;
}

/** A recording client and its recorder, not yet installed. */
export function recordingClient(initial: EngineState = cardOpen()): { client: KindredClient; recorder: Recorder } {
  let state = initial;
  const listeners = new Set<(s: EngineState, prev: EngineState) => void>();
  const calls: Call[] = [];
  let failing: { method: string; code: ErrorCode } | null = null;
  const own: Record<string, unknown> = {
    me: ME,
    getState: () => state,
    subscribe: (l: (s: EngineState, prev: EngineState) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    safetyNumber: () => '12345 67890 12345',
    // Not a thenable: an async function returning the client must not try to adopt it as a promise.
    then: undefined,
  };
  const client = new Proxy(own, {
    get(target, prop) {
      if (typeof prop !== 'string') return undefined;
      if (prop in target) return target[prop];
      return (...args: unknown[]) => {
        calls.push({ method: prop, args });
        if (failing?.method === prop) {
          const code = failing.code;
          failing = null;
          return Promise.reject(new KindredError(code));
        }
        return Promise.resolve();
      };
    },
  });
  const recorder: Recorder = {
    calls,
    called: (method) => calls.filter((c) => c.method === method),
    set(next) {
      const prev = state;
      state = next;
      for (const l of [...listeners]) l(next, prev);
    },
    failNext(method, code) {
      failing = { method, code };
    },
    closed: () => calls.some((c) => c.method === 'close'),
  };
  // The stand-in answers every method the engine has (see the Proxy above); the cast says so to the type checker.
  return { client: client as unknown as KindredClient, recorder };
}
