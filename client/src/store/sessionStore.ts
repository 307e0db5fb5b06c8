/**
 * The session store: one zustand store that mirrors the engine's state (`client.getState()`, replaced on every
 * change) and runs actions on the engine, turning every failure into a plain-language `UserError`. The engine is
 * the vanilla store; this is the thin adapter React reads through (as zustand's react.ts over vanilla.ts).
 * It holds plaintext in memory only and never persists.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { KindredError } from '@kindred/shared/errors';
import { initialState, type EngineState, type KindredClient } from '../engine';
import { connectedEngine, currentEngine, onEngineChange } from './engineHost';
import { toUserError, type UserError } from './userError';

export const NO_ENGINE: EngineState = Object.freeze(initialState(''));

export interface SessionStoreState {
  engine: EngineState;
  /** Name of the action in flight, for disabling its button and announcing progress. */
  busy: string | null;
  error: UserError | null;
  /** Label of the action that failed, so the error shows next to the control that caused it. */
  errorFrom: string | null;
  /** Runs an engine action once connected; resolves to false (and sets `error`) when it failed. */
  run(label: string, action: (engine: KindredClient) => Promise<unknown> | unknown): Promise<boolean>;
  clearError(): void;
  /** Back to nothing: used by quick exit and when the engine is wiped. */
  reset(): void;
}

export const sessionStore = createStore<SessionStoreState>()((set) => ({
  engine: NO_ENGINE,
  busy: null,
  error: null,
  errorFrom: null,
  async run(label, action) {
    const engine = currentEngine();
    if (!engine) {
      set({ error: toUserError(new KindredError('INTERNAL', 'no engine')), errorFrom: label });
      return false;
    }
    set({ busy: label, error: null, errorFrom: null });
    try {
      await action(await connectedEngine());
      if (currentEngine() === engine) set({ busy: null });
      return true;
    } catch (e) {
      if (currentEngine() === engine) set({ busy: null, error: toUserError(e), errorFrom: label });
      return false;
    }
  },
  clearError() {
    set({ error: null, errorFrom: null });
  },
  reset() {
    set({ engine: NO_ENGINE, busy: null, error: null, errorFrom: null });
  },
}));

// Follow whichever engine is current: mirror its state, and drop everything when it is wiped.
let unsubscribeEngine: (() => void) | null = null;
onEngineChange((engine) => {
  unsubscribeEngine?.();
  unsubscribeEngine = null;
  if (!engine) {
    sessionStore.getState().reset();
    return;
  }
  sessionStore.setState({ engine: engine.getState(), busy: null, error: null, errorFrom: null });
  unsubscribeEngine = engine.subscribe((state) => {
    if (currentEngine() === engine) sessionStore.setState({ engine: state });
  });
});

/** A slice of the engine's state. Select what the component shows: it re-renders only when that slice changes. */
export function useEngine<T>(selector: (state: EngineState) => T): T {
  return useStore(sessionStore, (s) => selector(s.engine));
}

export function useSession<T>(selector: (state: SessionStoreState) => T): T {
  return useStore(sessionStore, selector);
}

/** The current error if it came from one of `labels` (or from any action when none are given). */
export function useErrorFrom(...labels: string[]): UserError | null {
  return useStore(sessionStore, (s) => (s.error && (labels.length === 0 || (s.errorFrom !== null && labels.includes(s.errorFrom))) ? s.error : null));
}

/** Dispatches an engine action from a component (no return value to await in render code). */
export function dispatch(label: string, action: (engine: KindredClient) => Promise<unknown> | unknown): Promise<boolean> {
  return sessionStore.getState().run(label, action);
}

/** Best-effort engine calls (typing hints): no busy state, no error on screen. */
export function fireAndForget(action: (engine: KindredClient) => Promise<unknown>): void {
  if (!currentEngine()) return;
  connectedEngine()
    .then(action)
    .catch(() => undefined);
}
