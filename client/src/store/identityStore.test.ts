import { beforeEach, describe, expect, it } from 'vitest';
import { KindredError } from '@kindred/shared/errors';
import type { WrappedIdentity } from '@kindred/shared/protocol';
import { configureIdentity, identityStore } from './identityStore';
import { memoryKeyStore } from '../identity/keyStore';
import { setEngineFactory, currentEngine } from './engineHost';
import { recordingClient } from '../testing/recordingClient';

const b64 = (n: number) => 'A'.repeat(Math.ceil((n * 4) / 3));
const wrapped = (pass: string): WrappedIdentity => ({
  v: 1, alg: 'argon2id13', opslimit: 2, memlimit: 65536, salt: b64(16), nonce: b64(24), publicKey: b64(32), ct: pass.padEnd(64, 'x').slice(0, 64),
});

let store = memoryKeyStore();
beforeEach(() => {
  store = memoryKeyStore();
  configureIdentity({
    keyStore: store,
    crypto: {
      ready: () => Promise.resolve(),
      generate: () => ({ publicKey: new Uint8Array(32), secretKey: new Uint8Array(64).fill(7) }),
      wrap: (_ik, pass) => wrapped(pass),
      unwrap: (w, pass) => {
        if (w.ct !== wrapped(pass).ct) throw new KindredError('UNWRAP_FAILED');
        return { publicKey: new Uint8Array(32), secretKey: new Uint8Array(64) };
      },
      wipe: (ik) => ik.secretKey.fill(0),
      seedOf: (ik) => ik.secretKey.slice(0, 32),
      fromSeed: (seed) => ({ publicKey: new Uint8Array(32).fill(seed[0] ?? 0), secretKey: new Uint8Array(64).fill(seed[0] ?? 0) }),
    },
  });
  setEngineFactory(() => recordingClient().client);
  identityStore.getState().reset();
});

describe('identityStore', () => {
  it('a one-off visit starts the engine and stores nothing', async () => {
    await identityStore.getState().check();
    expect(identityStore.getState().status).toBe('absent');
    expect(await identityStore.getState().startOneOff()).toBe(true);
    expect(identityStore.getState()).toMatchObject({ status: 'ready', kind: 'one-off' });
    expect(currentEngine()).not.toBeNull();
    expect(await store.load()).toBeNull();
  });

  it('keeps only the wrapped key, and a wrong passphrase says what to do', async () => {
    await identityStore.getState().startOneOff();
    expect(await identityStore.getState().saveCurrent('correct horse battery')).toBe(true);
    expect((await store.load())?.alg).toBe('argon2id13');
    identityStore.getState().reset();
    expect(currentEngine()).toBeNull();
    await identityStore.getState().check();
    expect(identityStore.getState().status).toBe('locked');
    expect(await identityStore.getState().unlock('wrong passphrase!')).toBe(false);
    expect(identityStore.getState().error).toMatchObject({ code: 'UNWRAP_FAILED', todo: expect.stringMatching(/passphrase/) });
    expect(await identityStore.getState().unlock('correct horse battery')).toBe(true);
    expect(identityStore.getState()).toMatchObject({ status: 'ready', kind: 'saved' });
  });
});
