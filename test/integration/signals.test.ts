/**
 * Signals over the real relay (typing, hands, talking-stick rounds: all end-to-end encrypted like chat), and the
 * engine's rekey timer driven by fake timers: a chain older than T is replaced and sealed again, and chat goes on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KindredClient } from '@kindred/client/engine';
import { nextEvent, sessionWith, startRelay, texts, until, type RelayUnderTest } from './harness';

let relay: RelayUnderTest | undefined;
const clients: KindredClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

describe('signals', () => {
  it('typing, hands and rounds reach everyone; only facilitators run rounds', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 2);
    const [alice, bob] = members as [KindredClient, KindredClient];
    clients.push(fac, alice, bob);

    await alice.setTyping(true);
    await until(bob, (s) => s.session?.typing.includes(alice.me) ?? false, 'typing shown');
    await alice.send('done typing');
    await until(bob, (s) => !(s.session?.typing.includes(alice.me) ?? true), 'typing cleared by the message');

    await bob.raiseHand();
    await alice.raiseHand();
    await until(fac, (s) => s.session?.hands.length === 2, 'two hands');
    expect(fac.getState().session?.hands).toEqual([bob.me, alice.me]);
    await fac.lowerHand(bob.me); // a facilitator lowers someone's hand
    await until(alice, (s) => s.session?.hands.join() === alice.me, 'bob lowered');
    await bob.raiseHand();
    await alice.lowerHand(bob.me); // a member cannot lower someone else's: ignored everywhere
    await alice.send('sync-1');
    await until(fac, () => texts(fac).includes('sync-1'), 'sync-1');
    expect(fac.getState().session?.hands).toEqual([alice.me, bob.me]);
    await alice.lowerHand();
    await bob.lowerHand();
    await until(fac, (s) => s.session?.hands.length === 0, 'all lowered');

    // A member cannot start a round: everyone ignores it.
    await alice.startRound('open', [alice.me]);
    await alice.send('sync-2');
    await until(bob, () => texts(bob).includes('sync-2'), 'sync-2');
    expect(bob.getState().session?.round).toBeNull();
    expect(fac.getState().session?.round).toBeNull();
    const roundId = await fac.startRound('check-in', [alice.me, bob.me, fac.me]);
    await until(bob, (s) => s.session?.round?.id === roundId, 'round started');
    expect(bob.getState().session?.round).toMatchObject({ kind: 'check-in', current: 0, startedBy: fac.me });
    await bob.passStick(); // not bob's turn: ignored
    await bob.send('sync-3');
    await until(fac, () => texts(fac).includes('sync-3'), 'sync-3');
    expect(fac.getState().session?.round?.current).toBe(0);
    await alice.passStick(); // alice holds it: passes to bob
    await until(fac, (s) => s.session?.round?.current === 1, 'passed to bob');
    await until(alice, (s) => s.session?.round?.current === 1, 'alice sees bob');
    await fac.endRound();
    await until(bob, (s) => s.session?.round === null, 'round ended');
  });

  it('typing clears by itself after the timeout', async () => {
    relay = await startRelay();
    const { members } = await sessionWith(relay, 2);
    const [alice, bob] = members as [KindredClient, KindredClient];
    clients.push(alice, bob);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await alice.setTyping(true);
    await until(bob, (s) => s.session?.typing.includes(alice.me) ?? false, 'typing shown');
    vi.advanceTimersByTime(7_999);
    expect(bob.getState().session?.typing).toEqual([alice.me]);
    vi.advanceTimersByTime(1);
    expect(bob.getState().session?.typing).toEqual([]);
  });
});

describe('rekey timer', () => {
  it('replaces a chain after T, seals the new one to everyone present, and chat goes on', async () => {
    const base = Date.now();
    let skew = 0;
    const clock = { now: () => base + skew };
    relay = await startRelay();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { facilitator: fac, members } = await sessionWith(relay, 1, { clientOptions: { clock, rekeyAfterMs: 5 * 60_000 } });
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);
    await fac.send('first chain');
    await until(alice, () => texts(alice).includes('first chain'), 'first');
    const keyIdOf = (text: string): string | undefined => alice.getState().session?.messages.find((m) => m.text === text)?.id.split(':')[1];
    const firstKey = keyIdOf('first chain');

    const rekeyed = nextEvent(fac, 'rekeyed');
    skew += 5 * 60_000;
    vi.advanceTimersByTime(5 * 60_000);
    const { keyId } = await rekeyed;
    expect(keyId).not.toBe(firstKey);
    await fac.send('second chain');
    await until(alice, () => texts(alice).includes('second chain'), 'second');
    expect(keyIdOf('second chain')).toBe(keyId);
    expect(alice.getState().warnings).toEqual([]);
  });
});
