/**
 * The identity store: which key this tab speaks with. Either a key kept in this browser, wrapped by a passphrase
 * (IndexedDB holds only the wrapped form), or a one-off key that lives in memory and dies with the tab. Starting
 * an identity starts the engine (engineHost); the secret key itself is never put in React state.
 */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { IdentityKeyPair } from '@kindred/shared/crypto';
import { KindredError } from '@kindred/shared/errors';
import type { IdentityCrypto } from '../identity/identityCrypto';
import { memoryKeyStore, type KeyStore } from '../identity/keyStore';
import { currentEngine, startEngine, wipeEngine } from './engineHost';
import { toUserError, type UserError } from './userError';

export type IdentityStatus = 'unknown' | 'checking' | 'absent' | 'locked' | 'ready';

export interface IdentityStoreState {
  status: IdentityStatus;
  /** 'saved': a passphrase-wrapped key is kept in this browser; 'one-off': memory only. */
  kind: 'saved' | 'one-off' | null;
  /** A wrapped key exists in this browser (whether or not it is unlocked). */
  hasSaved: boolean;
  busy: boolean;
  error: UserError | null;
  /** Looks for a saved key. */
  check(): Promise<void>;
  unlock(passphrase: string): Promise<boolean>;
  startOneOff(): Promise<boolean>;
  /** A reloaded tab: takes back the one-off key it kept in its sessionStorage (tabPlace.ts). */
  restoreOneOff(seed: Uint8Array): Promise<boolean>;
  /** A new key, wrapped with the passphrase and kept in this browser. */
  createSaved(passphrase: string): Promise<boolean>;
  /** Wraps the key in use (a one-off key) and keeps it in this browser. */
  saveCurrent(passphrase: string): Promise<boolean>;
  /** Deletes the saved key from this browser. */
  forgetSaved(): Promise<void>;
  /** Quick exit and end of tab: drop the key from memory. */
  reset(): void;
}

interface Deps {
  crypto: IdentityCrypto | null;
  keyStore: KeyStore;
}
const deps: Deps = { crypto: null, keyStore: memoryKeyStore() };
let current: IdentityKeyPair | null = null;

export function configureIdentity(next: { crypto: IdentityCrypto; keyStore: KeyStore }): void {
  deps.crypto = next.crypto;
  deps.keyStore = next.keyStore;
}

function cryptoOrThrow(): IdentityCrypto {
  if (!deps.crypto) throw new KindredError('INTERNAL', 'identity crypto not configured');
  return deps.crypto;
}

/** Lets the browser paint "working…" before a slow synchronous step (Argon2id). */
const nextFrame = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

function use(ik: IdentityKeyPair): void {
  if (current && current !== ik) deps.crypto?.wipe(current);
  current = ik;
  startEngine(ik);
}

export const identityStore = createStore<IdentityStoreState>()((set, get) => {
  async function attempt(body: () => Promise<void>): Promise<boolean> {
    set({ busy: true, error: null });
    try {
      await body();
      set({ busy: false });
      return true;
    } catch (e) {
      set({ busy: false, error: toUserError(e) });
      return false;
    }
  }

  return {
    status: 'unknown',
    kind: null,
    hasSaved: false,
    busy: false,
    error: null,
    async check() {
      if (get().status === 'ready') return;
      set({ status: 'checking' });
      let saved: boolean;
      try {
        saved = (await deps.keyStore.load()) !== null;
      } catch {
        saved = false; // no IndexedDB (some private windows): one-off visits still work
      }
      set({ status: saved ? 'locked' : 'absent', hasSaved: saved });
    },
    unlock(passphrase) {
      return attempt(async () => {
        const c = cryptoOrThrow();
        await c.ready();
        const wrapped = await deps.keyStore.load();
        if (!wrapped) throw new KindredError('UNWRAP_FAILED', 'no saved key');
        await nextFrame();
        use(c.unwrap(wrapped, passphrase));
        set({ status: 'ready', kind: 'saved' });
      });
    },
    startOneOff() {
      return attempt(async () => {
        const c = cryptoOrThrow();
        await c.ready();
        use(c.generate());
        set({ status: 'ready', kind: 'one-off' });
      });
    },
    restoreOneOff(seed) {
      set({ status: 'checking' }); // at once: the identity gate must not make a new key meanwhile
      return attempt(async () => {
        const c = cryptoOrThrow();
        await c.ready();
        use(c.fromSeed(seed));
        set({ status: 'ready', kind: 'one-off' });
      }).then((ok) => {
        if (!ok) set({ status: 'unknown' });
        return ok;
      });
    },
    createSaved(passphrase) {
      return attempt(async () => {
        const c = cryptoOrThrow();
        await c.ready();
        await nextFrame();
        const ik = c.generate();
        await deps.keyStore.save(c.wrap(ik, passphrase));
        use(ik);
        set({ status: 'ready', kind: 'saved', hasSaved: true });
      });
    },
    saveCurrent(passphrase) {
      return attempt(async () => {
        const c = cryptoOrThrow();
        if (!current) throw new KindredError('UNAUTHENTICATED', 'no key in use');
        await nextFrame();
        await deps.keyStore.save(c.wrap(current, passphrase));
        set({ kind: 'saved', hasSaved: true });
        // The group opened with this key so far is kept from now on (its device vault, "My groups").
        await currentEngine()?.keepGroup();
      });
    },
    async forgetSaved() {
      await deps.keyStore.clear();
      set({ hasSaved: false, kind: get().kind === 'saved' ? 'one-off' : get().kind, status: get().status === 'locked' ? 'absent' : get().status });
    },
    reset() {
      wipeEngine();
      if (current) deps.crypto?.wipe(current);
      current = null;
      set({ status: 'unknown', kind: null, busy: false, error: null });
    },
  };
});

/** The seed of the key in use when it is a one-off key (kept by tabPlace.ts for a reload); null otherwise. */
export function oneOffSeed(): Uint8Array | null {
  if (!current || identityStore.getState().kind !== 'one-off') return null;
  return cryptoOrThrow().seedOf(current);
}

export function useIdentity<T>(selector: (state: IdentityStoreState) => T): T {
  return useStore(identityStore, selector);
}
