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
