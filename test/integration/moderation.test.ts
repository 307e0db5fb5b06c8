/**
 * Group-wide moderation over the real relay: mute-all-but-facilitators, slow mode, a member leaving the group (the
 * rest rekey), the relay's own 'session.closed' (the client wipes the session on it alone), and a co-facilitator
 * promoted mid-session seeing who already waits.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { isKindredError } from '@kindred/shared/errors';
import type { KindredClient } from '@kindred/client/engine';
import { newClient, nextEvent, sessionWith, startRelay, texts, until, type RelayUnderTest } from './harness';

let relay: RelayUnderTest | undefined;
const clients: KindredClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

const refusedWith = (code: string) => (e: unknown) => isKindredError(e) && e.code === code;

describe('group-wide moderation', () => {
  it('a member promoted to co-facilitator mid-session sees the knocks already waiting, and can admit', async () => {
    relay = await startRelay();
    const { facilitator: fac, members, fragment } = await sessionWith(relay, 1);
    const alice = members[0] as KindredClient;
    const guest = await newClient(relay, { name: 'Guest' });
    clients.push(fac, alice, guest);

    await guest.openInvite(fragment);
    guest.acceptRules(true);
    const knocked = until(fac, (s) => s.session?.knocks.some((k) => k.member === guest.me) ?? false, 'fac sees the knock');
    expect(await guest.enterSession()).toBe('waiting');
    await knocked;
    expect(alice.getState().session?.knocks).toEqual([]);

    await fac.promote(alice.me);
    await until(alice, (s) => s.session?.knocks.some((k) => k.member === guest.me && k.agreement) ?? false, 'alice sees the waiting knock');
    await alice.admit(guest.me);
    await until(guest, (s) => s.session?.status === 'joined' && s.session.present.includes(alice.me), 'guest admitted by alice');
  });

  it('mute all but facilitators, then slow mode, each announced and enforced', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 1);
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);

    const announced = nextEvent(alice, 'roster.change', (c) => c.op.type === 'muteAll');
    await fac.muteAll(true);
    expect((await announced).op).toEqual({ type: 'muteAll', on: true });
    await expect(alice.send('quiet please')).rejects.toSatisfy(refusedWith('MUTED'));
    await fac.send('facilitators still speak');
    await until(alice, () => texts(alice).includes('facilitators still speak'), 'fac speaks');
    await fac.muteAll(false);
    await until(alice, (s) => s.group?.roster?.policy.muteAllButFacilitators === false, 'lifted');
    await alice.send('back');
    await until(fac, () => texts(fac).includes('back'), 'alice speaks');

    await fac.slowMode(30);
    await until(alice, (s) => s.group?.roster?.policy.slowModeSeconds === 30, 'slow mode seen');
    await alice.send('one');
    await expect(alice.send('two')).rejects.toSatisfy(refusedWith('SLOW_MODE'));
    await fac.send('facilitators are not paced');
    await fac.send('really not');
    await until(alice, () => texts(alice).includes('really not'), 'fac not paced');
  });

  it('a member leaves the group: it is out, and the others rekey', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 2);
    const [alice, bob] = members as [KindredClient, KindredClient];
    clients.push(fac, alice, bob);
    const rekeyed = nextEvent(bob, 'rekeyed');
    const seen = nextEvent(fac, 'roster.change', (c) => c.op.type === 'leave');
    await alice.leaveGroup();
    expect((await seen).op).toEqual({ type: 'leave', member: alice.me });
    await until(alice, (s) => s.session === null, 'alice wiped');
    await rekeyed;
    await bob.send('after alice left');
    await until(fac, () => texts(fac).includes('after alice left'), 'fac reads bob');
    expect(fac.getState().group?.roster?.members.some((m) => m.id === alice.me)).toBe(false);
  });

  it("the relay's session.closed alone makes the client wipe the session", async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 1);
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);
    await fac.send('to be wiped');
    await until(alice, () => texts(alice).includes('to be wiped'), 'received');
    const { groupId, sessionId } = alice.getState().session!;
    const closed = nextEvent(alice, 'session.closed');
    for (const socket of relay.app.io.sockets.sockets.values()) {
      if (socket.data.member === alice.me) socket.emit('session.closed', { groupId, sessionId, reason: 'ended' });
    }
    expect(await closed).toEqual({ sessionId, reason: 'ended' });
    expect(alice.getState().session).toBeNull();
    expect(fac.getState().session).not.toBeNull(); // only the device told so
  });
});
