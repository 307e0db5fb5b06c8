/**
 * Expiry over the real relay, driven by fake timers and an injected clock: each device deletes a message's plaintext
 * at its own arrival time + min(sender ttl, group policy); a facilitator's expiry change is announced to everyone and
 * applies at once (the stricter policy also shortens what is already shown). The sockets use native timers, so
 * only the engine's timers are fake. Direct notes to the facilitators expire the same way (at the group's policy).
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

/**
 * A facilitator and one member in a session whose expiry is 60 s, on an engine clock that moves only when the test
 * says so (`advance` moves it and the fake timers together): expiry instants are then exact.
 */
async function facilitatorAndMember(): Promise<{ fac: KindredClient; alice: KindredClient; advance: (ms: number) => void }> {
  const base = Date.now();
  let skew = 0;
  const clock = { now: () => base + skew };
  const advance = (ms: number): void => {
    skew += ms;
    vi.advanceTimersByTime(ms);
  };
  relay = await startRelay();
  const { facilitator: fac, members } = await sessionWith(relay, 1, { policy: { expirySeconds: 60 }, clientOptions: { clock } });
  const alice = members[0] as KindredClient;
  clients.push(fac, alice);
  return { fac, alice, advance };
}

describe('message expiry', () => {
  it('deletes plaintext at arrival + policy on every device, and announces an expiry change', async () => {
    const { fac, alice, advance } = await facilitatorAndMember();

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await fac.send('short-lived');
    await until(alice, () => texts(alice).includes('short-lived'), 'alice got it');
    const expired = nextEvent(alice, 'message.expired');
    advance(59_000);
    expect(texts(alice)).toEqual(['short-lived']);
    expect(texts(fac)).toEqual(['short-lived']);
    advance(1_000);
    expect(texts(alice)).toEqual([]);
    expect(texts(fac)).toEqual([]);
    expect((await expired).ids).toHaveLength(1);
    // Talk counts are not plaintext: they stay for the talk-share indicator.
    expect(alice.talkShare().find((t) => t.member === fac.me)?.messages).toBe(1);

    // An expiry change is announced to everyone and shortens what is already shown.
    await fac.send('shown before the change');
    await until(alice, () => texts(alice).includes('shown before the change'), 'second message');
    advance(5_000);
    const announced = nextEvent(alice, 'expiry.changed');
    const logged = nextEvent(alice, 'roster.change', (c) => c.op.type === 'expiry');
    await fac.setExpiry(20);
    expect(await announced).toEqual({ expirySeconds: 20, by: fac.me });
    expect((await logged).op).toEqual({ type: 'expiry', expirySeconds: 20 });
    expect(alice.getState().group?.roster?.policy.expirySeconds).toBe(20);
    advance(14_999);
    expect(texts(alice)).toEqual(['shown before the change']);
    advance(1);
    expect(texts(alice)).toEqual([]);

    // New messages carry the new ttl.
    await alice.send('under the new policy');
    await until(fac, () => texts(fac).includes('under the new policy'), 'fac got it');
    expect(fac.getState().session!.messages[0]!.expiresAt - fac.getState().session!.messages[0]!.receivedAt).toBe(20_000);
    advance(20_000);
    expect(texts(fac)).toEqual([]);
    expect(texts(alice)).toEqual([]);
  });
});

describe('direct note expiry', () => {
  it("deletes a note to the facilitators at its arrival + the group's expiry, and a stricter expiry shortens it", async () => {
    const { fac, alice, advance } = await facilitatorAndMember();
    const notes = (): string[] => fac.getState().session?.directs.map((d) => d.text) ?? [];

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let arrived = nextEvent(fac, 'direct');
    await alice.sendDirect('struggling', 'a rough day');
    expect((await arrived).expiresAt - (await arrived).receivedAt).toBe(60_000);
    advance(59_999);
    expect(notes()).toEqual(['a rough day']);
    advance(1);
    expect(notes()).toEqual([]);

    // Notes shown before a stricter expiry go at their arrival + the new expiry.
    arrived = nextEvent(fac, 'direct');
    await alice.sendDirect('struggling', 'still here');
    await arrived;
    advance(10_000);
    arrived = nextEvent(fac, 'direct');
    await alice.sendDirect('breach-report', 'later note');
    await arrived;
    const announced = nextEvent(fac, 'expiry.changed');
    await fac.setExpiry(15);
    await announced;
    expect(notes()).toEqual(['still here', 'later note']);
    advance(4_999);
    expect(notes()).toEqual(['still here', 'later note']);
    advance(1); // 15 s after the first
    expect(notes()).toEqual(['later note']);
    advance(9_999);
    expect(notes()).toEqual(['later note']);
    advance(1); // 15 s after the second
    expect(notes()).toEqual([]);
  });
});
