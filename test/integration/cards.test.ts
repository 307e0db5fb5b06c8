/**
 * Card revisions: a facilitator edits the card; members in the session see the new revision (verified), new
 * invites serve it, and a knock from an older invite (older rules) is still shown, flagged as not current.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KindredClient } from '@kindred/client/engine';
import { newClient, nextEvent, sessionWith, startRelay, until, type RelayUnderTest } from './harness';

let relay: RelayUnderTest | undefined;
const clients: KindredClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

describe('group card revisions', () => {
  it('shares an edited card and tells the facilitator which rules a knocker accepted', async () => {
    relay = await startRelay();
    const { facilitator: fac, members, fragment: oldFragment } = await sessionWith(relay, 1);
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);

    const updated = nextEvent(alice, 'card.updated');
    await fac.updateCard({ groundRules: 'Revised: phones away.' });
    expect((await updated).card).toMatchObject({ revision: 2, groundRules: 'Revised: phones away.' });
    expect(alice.getState().group?.card?.revision).toBe(2);
    const { fragment: newFragment } = await fac.createInvite();

    const late = await newClient(relay);
    const later = await newClient(relay);
    clients.push(late, later);
    expect((await late.openInvite(oldFragment)).revision).toBe(1);
    expect((await later.openInvite(newFragment)).revision).toBe(2);
    for (const c of [late, later]) {
      c.acceptRules(true);
      expect(await c.enterSession()).toBe('waiting');
    }
    const s = await until(fac, (st) => (st.session?.knocks.length ?? 0) === 2, 'two knocks');
    const byMember = Object.fromEntries(s.session!.knocks.map((k) => [k.member, k.currentRules]));
    expect(byMember).toEqual({ [late.me]: false, [later.me]: true });
  });
});

describe('the next session on the card (issue 17)', () => {
  it('members in the session get it, keep it after the close, and a newcomer opening the link later gets it too', async () => {
    relay = await startRelay();
    const { facilitator: fac, members, fragment } = await sessionWith(relay, 1);
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);
    expect(alice.getState().group?.card?.nextSession).toBeUndefined(); // a card without the field is a valid card

    const next = { startsAt: Date.UTC(2026, 11, 12, 18, 0), utcOffsetMinutes: 60, durationMinutes: 90 };
    const updated = nextEvent(alice, 'card.updated');
    await fac.setNextSession(next);
    expect((await updated).card.nextSession).toEqual(next);
    await fac.closeSession();
    await until(alice, (st) => st.phase === 'closed', 'closed');
    expect(alice.getState().group?.card?.nextSession).toEqual(next);

    // The invite the facilitator made serves the new revision: someone opening the link afterwards sees it.
    const late = await newClient(relay);
    clients.push(late);
    const card = await late.openInvite(fragment);
    expect(card.nextSession).toEqual(next);
    expect(card.revision).toBe(2);

    // Taken off again: the next revision has no next session, and the link serves that.
    await fac.setNextSession(null);
    expect(fac.getState().group?.card?.nextSession).toBeUndefined();
    expect((await late.openInvite(fragment)).nextSession).toBeUndefined();
  });
});
