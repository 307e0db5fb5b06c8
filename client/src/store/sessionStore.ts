/**
 * The session store: adapts the engine for React. It mirrors the engine's snapshot and dispatches actions to it;
 * every failure becomes a plain-language `UserError`. It holds plaintext in memory only and never persists.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { currentEngine, onEngineChange } from './engineHost';
import { EMPTY_SNAPSHOT, type EngineLike, type EngineSnapshot, type SafetyNumberView } from './engineLike';
import { toUserError, type UserError } from './userError';
import { KindredError } from '@kindred/shared/errors';

export interface SessionStoreState {
  snapshot: EngineSnapshot;
  /** Name of the action in flight, for disabling its button and announcing progress. */
  busy: string | null;
  error: UserError | null;
  /** Label of the action that failed, so the error shows next to the control that caused it. */
  errorFrom: string | null;
  /** Runs an engine action; resolves to false (and sets `error`) when it failed. */
  run(label: string, action: (engine: EngineLike) => Promise<unknown> | unknown): Promise<boolean>;
  clearError(): void;
  /** Back to nothing: used by quick exit and at the end of a session. */
  reset(): void;
}

export const sessionStore = createStore<SessionStoreState>()((set) => ({
  snapshot: EMPTY_SNAPSHOT,
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
      await action(engine);
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
    set({ snapshot: EMPTY_SNAPSHOT, busy: null, error: null, errorFrom: null });
  },
}));

// Follow whichever engine is current: mirror its snapshot, and drop everything when it is wiped.
let unsubscribeEngine: (() => void) | null = null;
onEngineChange((engine) => {
  unsubscribeEngine?.();
  unsubscribeEngine = null;
  if (!engine) {
    sessionStore.getState().reset();
    return;
  }
  sessionStore.setState({ snapshot: engine.getState(), busy: null, error: null, errorFrom: null });
  unsubscribeEngine = engine.subscribe(() => {
    if (currentEngine() === engine) sessionStore.setState({ snapshot: engine.getState() });
  });
});

/** The current error if it came from one of `labels` (or from any action when none are given). */
export function useErrorFrom(...labels: string[]): UserError | null {
  return useStore(sessionStore, (s) => (s.error && (labels.length === 0 || (s.errorFrom !== null && labels.includes(s.errorFrom))) ? s.error : null));
}

export function useSession<T>(selector: (state: SessionStoreState) => T): T {
  return useStore(sessionStore, selector);
}

/** Dispatches an engine action from a component (no return value to await in render code). */
export function dispatch(label: string, action: (engine: EngineLike) => Promise<unknown> | unknown): Promise<boolean> {
  return sessionStore.getState().run(label, action);
}

/** Best-effort engine calls (typing hints): no busy state, no error on screen. */
export function fireAndForget(action: (engine: EngineLike) => Promise<unknown>): void {
  const engine = currentEngine();
  if (!engine) return;
  action(engine).catch(() => undefined);
}

/** Safety number with a member (derived from public keys by the engine; not kept in state). Throws a KindredError. */
export function querySafetyNumber(memberId: string): SafetyNumberView {
  const engine = currentEngine();
  if (!engine) throw new KindredError('INTERNAL', 'no engine');
  return engine.safetyNumber(memberId);
}
