/**
 * The tab's place across a reload (tabPlace.ts, placeKeeper.ts, placeResume.ts): written while in a joined session,
 * deleted with the session and by the quick exit, checked when read back, and taken back at start-up (a one-off key
 * at once; never over an invite link the tab was given).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { initCrypto } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { TabPlace as TabPlaceSchema } from '@kindred/shared/protocol';
import type { TabPlace } from '@kindred/shared/protocol';
import type { EngineEvents, KindredClient } from '../engine';
import { appStore } from './appStore';
import { setEngineFactory, wipeEngine } from './engineHost';
import { configureIdentity, identityStore } from './identityStore';
import { memoryKeyStore } from '../identity/keyStore';
import { SAVE_EVERY_MS, keepPlaceOfEachEngine } from './placeKeeper';
import { resumeAgain, resumePlaceAtStart } from './placeResume';
import { NEUTRAL_PAGE, quickExit, setLeaveForTests } from './quickExit';
import { TAB_PLACE_KEY, clearPlace, readPlace, writePlace } from './tabPlace';
import { recordingClient, type Recorder } from '../testing/recordingClient';

const b64 = (bytes: number, fill = 0) => toBase64Url(new Uint8Array(bytes).fill(fill));
const snapshot = (): TabPlace['session'] => ({
  v: 1,
  groupId: b64(16),
  sessionId: b64(16, 2),
  member: b64(32, 9),
  seed: b64(32, 3),
  generation: 7,
  acceptance: { body: { v: 1, groupId: b64(16), sessionId: b64(16, 2), member: b64(32), rulesDigest: b64(32), agreement: true }, sig: b64(64) },
  sealed: [],
  shown: [['a:b:0', 123]],
  record: { floors: [], generations: [] },
});
const place = (over: Partial<TabPlace> = {}): TabPlace => ({ v: 1, identitySeed: b64(32, 4), group: { fragment: 'k2.frag' }, displayName: 'Ida', session: snapshot(), ...over });

/** A stand-in engine for the keeper: a snapshot to give, and the `session.snapshot` event to raise. */
function snapshottingEngine(snap: TabPlace['session'] | null) {
  const handlers: ((p: EngineEvents['session.snapshot']) => void)[] = [];
  const engine = {
    me: b64(32, 9),
    displayName: 'Ida',
    getState: () => ({ group: { groupId: b64(16) }, invites: [{ inviteId: 'i', fragment: 'k2.made', revoked: false }] }),
    sessionSnapshot: () => snap,
    subscribe: () => () => undefined,
    on: (_name: string, h: (p: EngineEvents['session.snapshot']) => void) => {
      handlers.push(h);
      return () => undefined;
    },
    close: () => undefined,
  } as unknown as KindredClient;
  return { engine, emit: (sessionId: string | null) => handlers.forEach((h) => h({ sessionId })) };
}

const crypto = {
  ready: () => Promise.resolve(),
  generate: () => ({ publicKey: new Uint8Array(32), secretKey: new Uint8Array(64).fill(1) }),
  wrap: () => {
    throw new Error('not used');
  },
  unwrap: () => {
    throw new Error('not used');
  },
  wipe: (ik: { secretKey: Uint8Array }) => ik.secretKey.fill(0),
  seedOf: (ik: { secretKey: Uint8Array }) => ik.secretKey.slice(0, 32),
  fromSeed: (seed: Uint8Array) => ({ publicKey: new Uint8Array(32), secretKey: Uint8Array.from([...seed, ...seed]) }),
};

beforeEach(() => {
  configureIdentity({ crypto, keyStore: memoryKeyStore() });
  identityStore.getState().reset();
  appStore.setState({ exited: false, resuming: null, route: { name: 'join', fragment: null } });
  sessionStorage.clear();
});
afterEach(() => wipeEngine());

describe('the tab place in sessionStorage', () => {
  it('the fixture is a place', () => {
    expect(TabPlaceSchema.safeParse(place()).error).toBeUndefined();
  });

  it('reads back what it wrote, and drops what does not pass the schema', () => {
    writePlace(place());
    expect(readPlace()).toEqual(place());
    sessionStorage.setItem(TAB_PLACE_KEY, JSON.stringify({ ...place(), extra: 'field' }));
    expect(readPlace()).toBeNull();
    expect(sessionStorage.getItem(TAB_PLACE_KEY)).toBeNull();
    sessionStorage.setItem(TAB_PLACE_KEY, 'not json');
    expect(readPlace()).toBeNull();
    expect(sessionStorage.length).toBe(0);
    clearPlace();
    expect(localStorage.length).toBe(0);
  });
});

describe('the place keeper', () => {
  let stop: () => void = () => undefined;
  beforeAll(async () => {
    await initCrypto();
    stop = keepPlaceOfEachEngine();
  });
  afterAll(() => stop());

  it('writes the place while joined (with the one-off seed), and deletes it when the session or the engine is wiped', async () => {
    const fake = snapshottingEngine(snapshot());
    setEngineFactory(() => fake.engine);
    expect(await identityStore.getState().startOneOff()).toBe(true); // starts the engine through the factory
    fake.emit('s');
    const kept = readPlace();
    expect(kept).toMatchObject({ displayName: 'Ida', group: { fragment: 'k2.made' }, session: snapshot() });
    expect(kept?.identitySeed).toBe(b64(32, 1)); // the fake key's seed: 32 bytes of 1
    fake.emit(null); // the session was wiped (ended, removed, banned, left)
    expect(sessionStorage.length).toBe(0);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      fake.emit('s'); // within SAVE_EVERY_MS of the last save: saved at the end of the interval, together
      fake.emit('s');
      expect(sessionStorage.length).toBe(0);
      vi.advanceTimersByTime(SAVE_EVERY_MS);
      expect(sessionStorage.length).toBe(1);
      fake.emit(null);
      fake.emit('s');
      fake.emit(null); // a wipe cancels a save still due
      vi.advanceTimersByTime(2 * SAVE_EVERY_MS);
      expect(sessionStorage.length).toBe(0);
      fake.emit('s'); // long enough after the last save: at once
      expect(sessionStorage.length).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    wipeEngine();
    expect(sessionStorage.length).toBe(0);
    expect(localStorage.length).toBe(0);
  });

  it('keeps nothing outside a joined session', async () => {
    const fake = snapshottingEngine(null);
    setEngineFactory(() => fake.engine);
    await identityStore.getState().startOneOff();
    writePlace(place());
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      fake.emit('s');
      vi.advanceTimersByTime(SAVE_EVERY_MS);
    } finally {
      vi.useRealTimers();
    }
    expect(sessionStorage.length).toBe(0);
  });

  it('the quick exit deletes it', () => {
    writePlace(place());
    const left: string[] = [];
    setLeaveForTests((url) => left.push(url));
    quickExit();
    expect(left).toEqual([NEUTRAL_PAGE]);
    expect(sessionStorage.length).toBe(0);
  });
});

describe('taking the place back at start-up', () => {
  let recorder: Recorder;
  beforeEach(() => {
    const made = recordingClient();
    recorder = made.recorder;
    setEngineFactory(() => made.client);
  });

  it('a one-off key: the same key at once, the group by its link, the name, then the session', async () => {
    writePlace(place());
    resumePlaceAtStart();
    expect(identityStore.getState().status).toBe('checking'); // the identity gate makes no new key meanwhile
    expect(appStore.getState().resuming).toBe('opening');
    await expect.poll(() => appStore.getState().resuming).toBeNull();
    expect(identityStore.getState()).toMatchObject({ status: 'ready', kind: 'one-off' });
    expect(recorder.calls.map((c) => c.method)).toEqual(['connect', 'openInvite', 'setDisplayName', 'restoreSession']);
    expect(recorder.called('openInvite')[0]?.args).toEqual(['k2.frag']);
    expect(recorder.called('restoreSession')[0]?.args).toEqual([snapshot()]);
    expect(appStore.getState().route).toEqual({ name: 'group' });
  });

  it('a kept key waits for the unlock; an invite link opened in the tab wins and the place is dropped', () => {
    writePlace(place({ identitySeed: undefined, group: { groupId: b64(16) } }));
    resumePlaceAtStart();
    expect(appStore.getState().resuming).toBe('unlock');
    expect(identityStore.getState().status).toBe('unknown');

    writePlace(place());
    appStore.setState({ resuming: null, route: { name: 'join', fragment: 'k2.other' } });
    resumePlaceAtStart();
    expect(appStore.getState().resuming).toBeNull();
    expect(sessionStorage.length).toBe(0);
    expect(recorder.calls).toEqual([]);
  });

  it('a session that ended meanwhile: the place is dropped, with no error shown', async () => {
    writePlace(place());
    recorder.failNext('restoreSession', 'SESSION_NOT_OPEN');
    resumePlaceAtStart();
    await expect.poll(() => appStore.getState().resuming).toBeNull();
    expect(sessionStorage.length).toBe(0);
  });

  it('a relay that does not answer: the place is kept, and trying again takes it back', async () => {
    writePlace(place());
    recorder.failNext('openInvite', 'UNAVAILABLE');
    resumePlaceAtStart();
    await expect.poll(() => appStore.getState().resuming).toBe('stalled');
    expect(readPlace()).toEqual(place());
    resumeAgain();
    await expect.poll(() => appStore.getState().resuming).toBeNull();
    expect(recorder.called('restoreSession')).toHaveLength(1);
  });
});
