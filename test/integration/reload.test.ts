/**
 * A tab reloaded mid-session comes back as the same member (client/src/engine/sessionSnapshot.ts): a new engine with
 * the same identity takes back the snapshot the old one gave, re-opens the group and enters with the same session key,
 * without a knock. The relay replays what it still buffers: the others' messages open with the sealed keys the tab
 * kept (even once the relay's own buffer of sealed keys is gone), mine with my chains sealed to myself, shown as mine.
 * What the relay no longer holds is reported as one line of data; a message that expired before the reload is never
 * shown again; nothing raises a security warning; the snapshot is announced gone when the session ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity, type IdentityKeyPair } from '@kindred/shared/crypto';
import type { KindredClient } from '@kindred/client/engine';
import { admitThroughInvite, newClient, sessionWith, startRelay, texts, until, type RelayUnderTest } from './harness';
import { closeAll, nextEvent, sendAndSee, warnings } from '../support/engineClients';

let relay: RelayUnderTest;
const clients: KindredClient[] = [];

beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  closeAll(clients);
  await relay?.close();
});

/** Strips fields from `member`'s joined answers to session.enter while the returned remover is not called. */
function stripFromEnterAnswer(member: string, strip: (answer: Record<string, unknown>) => Record<string, unknown>): () => void {
  return relay.tap.tamper((p) => {
    const answer = p.payload as Record<string, unknown> | null;
    if (!p.ack || p.member !== member || typeof answer !== 'object' || answer === null || answer['status'] !== 'joined') return undefined;
    return [strip(answer)];
  });
}

/** A facilitator, Bo (the identity `boKey`) and Cy in a session, each having written; Bo's snapshot, taken then. */
async function sessionBoWillReload(boKey: IdentityKeyPair) {
  const s = await sessionWith(relay, [{ name: 'Bo', identity: boKey }, { name: 'Cy' }]);
  const [bo, cy] = s.members as [KindredClient, KindredClient];
  clients.push(...s.all);
  await sendAndSee(s.facilitator, 'welcome, both of you', [bo, cy]);
  await sendAndSee(bo, 'this week was hard', [s.facilitator, cy]);
  await sendAndSee(cy, 'same here', [bo, s.facilitator]);
  // What the web client keeps in the tab's sessionStorage: plain JSON.
  const snapshot: unknown = JSON.parse(JSON.stringify(bo.sessionSnapshot()));
  expect(snapshot).not.toBeNull();
  return { ...s, bo, cy, snapshot };
}

/** The tab goes away (the old engine is gone), and the others see it leave. */
async function reloadAway(fac: KindredClient, bo: KindredClient): Promise<void> {
  bo.close();
  await until(fac, (st) => !(st.session?.present.includes(bo.me) ?? true), 'bo gone');
}

describe('a reloaded tab keeps its place', () => {
  it('comes back as the same member: no knock, the buffer back (mine as mine), no warning', async () => {
    const boKey = generateIdentity();
    const { facilitator: fac, bo, cy, fragment, snapshot } = await sessionBoWillReload(boKey);
    const members = fac.getState().group?.roster?.members.length;
    await reloadAway(fac, bo);
    await sendAndSee(fac, 'while Bo reloads', [cy]);
    const knocks: string[] = [];
    fac.on('knock', (k) => knocks.push(k.member));

    const again = await newClient(relay, { name: 'Bo', identity: boKey });
    clients.push(again);
    await again.openInvite(fragment);
    // A relay whose buffer of sealed keys has expired (its TTL) while the messages are still there: the kept keys read them.
    const unstrip = stripFromEnterAnswer(again.me, (a) => ({ ...a, sealed: [] }));
    try {
      expect(await again.restoreSession(snapshot)).toBe('joined');
    } finally {
      unstrip();
    }
    expect(texts(again)).toEqual(['welcome, both of you', 'this week was hard', 'same here', 'while Bo reloads']);
    const mine = again.getState().session?.messages.filter((m) => m.own).map((m) => m.text);
    expect(mine).toEqual(['this week was hard']);
    expect(again.getState().group?.acceptedSession).toBe(fac.getState().session?.sessionId);

    await until(fac, (st) => st.session?.present.includes(again.me) ?? false, 'bo back');
    await sendAndSee(again, 'I am back', [fac, cy]);
    await sendAndSee(cy, 'welcome back', [again]);
    await until(again, (st) => st.session?.names[fac.me] === 'Facilitator' && st.session.names[cy.me] === 'Cy', 'names');
    expect(knocks).toEqual([]);
    expect(fac.getState().session?.knocks).toEqual([]);
    expect(fac.getState().group?.roster?.members.length).toBe(members);
    expect(fac.getState().session?.names[again.me]).toBe('Bo');
    for (const c of [fac, cy, again]) expect(warnings(c)).toEqual([]);
    expect(again.getState().session?.log.some((e) => e.kind === 'history-gone')).toBe(false);

    // The session ends: the engine says the snapshot is gone, and has none to give.
    const gone = nextEvent(again, 'session.snapshot', (p) => p.sessionId === null);
    await fac.closeSession();
    await gone;
    expect(again.sessionSnapshot()).toBeNull();
  });

  it('replays across roster changes; what came before a rekey is refused as ever, counted gone, no warning', async () => {
    const boKey = generateIdentity();
    const { facilitator: fac, bo, cy, fragment } = await sessionBoWillReload(boKey);
    await fac.mute(cy.me);
    await until(bo, (st) => st.group?.roster?.members.find((m) => m.id === cy.me)?.muted === true, 'mute seen');
    await sendAndSee(fac, 'Cy is muted for a moment', [bo, cy]);
    await fac.unmute(cy.me);
    await until(cy, (st) => st.group?.roster?.members.find((m) => m.id === cy.me)?.muted === false, 'unmute seen');
    await sendAndSee(cy, 'thanks, I am calmer', [bo, fac]);
    const newcomer = await newClient(relay, { name: 'Di' });
    clients.push(newcomer);
    await admitThroughInvite(fac, newcomer, fragment);
    await sendAndSee(newcomer, 'hello all', [bo]);
    await fac.remove(newcomer.me); // a rekey of every chain
    await until(bo, (st) => !(st.group?.roster?.members.some((m) => m.id === newcomer.me) ?? true), 'removal seen');
    await sendAndSee(bo, 'after the rekey', [fac, cy]);
    const snapshot: unknown = JSON.parse(JSON.stringify(bo.sessionSnapshot()));
    await reloadAway(fac, bo);

    const again = await newClient(relay, { name: 'Bo', identity: boKey });
    clients.push(again);
    await again.openInvite(fragment);
    expect(await again.restoreSession(snapshot)).toBe('joined');
    // The restored receive state starts at the current rekey epoch, with no grace for the one before the removal
    // (STALE_EPOCH, no warning): only what followed the rekey is read again; the rest is counted gone.
    expect(texts(again)).toEqual(['after the rekey']);
    expect(again.getState().session?.log.filter((e) => e.kind === 'history-gone')).toMatchObject([{ count: 6 }]);
    await sendAndSee(cy, 'good to see you back', [again]);
    await sendAndSee(again, 'thank you', [fac, cy]);
    for (const c of [fac, cy, again]) expect(warnings(c)).toEqual([]);
  });

  it('says, as data, how many messages the relay no longer held; an expired one never comes back', async () => {
    const boKey = generateIdentity();
    const { facilitator: fac, bo, cy, fragment, snapshot } = await sessionBoWillReload(boKey);
    await reloadAway(fac, bo);
    await sendAndSee(cy, 'while Bo reloads', [fac]);

    // The relay's buffer lost everything from before the reload.
    const again = await newClient(relay, { name: 'Bo', identity: boKey });
    clients.push(again);
    await again.openInvite(fragment);
    const unstrip = stripFromEnterAnswer(again.me, (a) => ({ ...a, missed: (a['missed'] as { envelope: { header: { sender: string } } }[]).slice(-1) }));
    try {
      expect(await again.restoreSession(snapshot)).toBe('joined');
    } finally {
      unstrip();
    }
    expect(texts(again)).toEqual(['while Bo reloads']);
    expect(again.getState().session?.log.filter((e) => e.kind === 'history-gone')).toMatchObject([{ count: 3 }]);
    expect(warnings(again)).toEqual([]);
    again.close();

    // A relay that kept everything, to a tab whose clock has passed the expiry of what it showed: not shown again.
    // The message it never showed (written while it was away) is new to it and shown.
    const later = await newClient(relay, { name: 'Bo', identity: boKey, clock: { now: () => Date.now() + 2 * 3600_000 } });
    clients.push(later);
    await later.openInvite(fragment);
    expect(await later.restoreSession(snapshot)).toBe('joined');
    expect(texts(later)).toEqual(['while Bo reloads']);
    expect(later.getState().session?.log.some((e) => e.kind === 'history-gone')).toBe(false);
    expect(warnings(later)).toEqual([]);
  });

  it("a facilitator's invite links come back when still live; a revoked one or another group's does not", async () => {
    const facKey = generateIdentity();
    const s = await sessionWith(relay, 1, { facilitator: { identity: facKey } });
    clients.push(...s.all);
    const fac = s.facilitator;
    const other = await sessionWith(relay, 0);
    clients.push(...other.all);
    const second = await fac.createInvite();
    const third = await fac.createInvite();
    await fac.revokeInvite(third.inviteId);
    const links = fac.getState().invites.map((i) => i.fragment);
    const snapshot: unknown = JSON.parse(JSON.stringify(fac.sessionSnapshot()));
    fac.close();

    const again = await newClient(relay, { name: 'Facilitator', identity: facKey });
    clients.push(again);
    await again.openInvite(s.fragment);
    const back = again.restoreInvites([...links, other.fragment, 'k2.not.a.link']);
    expect(back.map((i) => i.fragment)).toEqual([s.fragment, second.fragment]);
    expect(again.getState().invites.map((i) => i.fragment)).toEqual([s.fragment, second.fragment]);
    expect(await again.restoreSession(snapshot)).toBe('joined');
    expect(warnings(again)).toEqual([]);
  });

  it('what was written offline and not yet sent goes out once after the reload; what went out before is not sent again', async () => {
    const boKey = generateIdentity();
    const { facilitator: fac, bo, cy, fragment } = await sessionBoWillReload(boKey);
    const count = (c: KindredClient, text: string): number => texts(c).filter((t) => t === text).length;
    /** The tab, offline, writes `text`; its place is saved then (the snapshot holds the message as waiting to send). */
    const writeOffline = async (tab: KindredClient, text: string) => {
      const reconnect = tab.connection.simulateNetworkDrop({ hold: true });
      await until(tab, (st) => st.link.offline, 'offline');
      const sent = tab.send(text).catch(() => undefined); // the tab may go away before it goes out
      const snapshot: unknown = JSON.parse(JSON.stringify(tab.sessionSnapshot()));
      expect((snapshot as { waiting?: { text: string }[] }).waiting?.map((w) => w.text)).toEqual([text]);
      return { snapshot, reconnect, sent };
    };
    /** Chat envelopes each reloaded tab posted (a copy the receivers would drop still costs a post: none is made). */
    const chatPosts = new Map<KindredClient, number>();
    const reloadWith = async (snapshot: unknown) => {
      const again = await newClient(relay, { name: 'Bo', identity: boKey });
      clients.push(again);
      const request = again.connection.request.bind(again.connection);
      chatPosts.set(again, 0);
      again.connection.request = ((event: string, payload: { envelope?: { header: { type: string } } }) => {
        if (event === 'message.send' && payload.envelope?.header.type === 'chat') chatPosts.set(again, chatPosts.get(again)! + 1);
        return request(event as never, payload as never);
      }) as typeof again.connection.request;
      // The first place the web client would save after the reload (it saves on the first `session.snapshot`).
      again.on('session.snapshot', () => {
        const taken = again.sessionSnapshot();
        if (taken && !firstSaved.has(again)) firstSaved.set(again, taken.waiting?.map((w) => w.text) ?? []);
      });
      await again.openInvite(fragment);
      expect(await again.restoreSession(snapshot)).toBe('joined');
      return again;
    };
    const firstSaved = new Map<KindredClient, string[]>();

    // Written offline, then the tab is gone (a phone discarded it): the reloaded tab sends it, once.
    const lost = await writeOffline(bo, 'written while offline');
    await reloadAway(fac, bo);
    const again = await reloadWith(lost.snapshot);
    // Saved again at once with the message still waiting: a second discard before it goes out loses nothing.
    await until(again, () => firstSaved.has(again), 'a place saved after the reload');
    expect(firstSaved.get(again)).toEqual(['written while offline']);
    await until(fac, () => texts(fac).includes('written while offline'), 'fac got it after the reload');
    await until(again, (st) => st.session?.messages.some((m) => m.text === 'written while offline' && m.own && !m.waiting) ?? false, 'sent, as mine');

    // Written offline, sent once the network came back, then a reload with the place saved before it went out: the
    // relay's replay shows it went, so it is not sent again.
    const stale = await writeOffline(again, 'sent before the reload');
    stale.reconnect();
    await stale.sent;
    await until(fac, () => texts(fac).includes('sent before the reload'), 'fac got it');
    await reloadAway(fac, again);
    const third = await reloadWith(stale.snapshot);
    await sendAndSee(third, 'a barrier after the reload', [fac, cy]);
    for (const c of [fac, cy]) {
      expect(count(c, 'written while offline')).toBe(1);
      expect(count(c, 'sent before the reload')).toBe(1);
    }
    expect(count(third, 'sent before the reload')).toBe(1);
    expect(chatPosts.get(again)).toBeGreaterThanOrEqual(2); // the message kept from before its reload, and the one after
    expect(chatPosts.get(third)).toBe(1); // the barrier only
    expect(third.getState().session?.messages.filter((m) => m.waiting)).toEqual([]);
    for (const c of [fac, cy, third]) expect(warnings(c)).toEqual([]);
  });

  it('refuses a snapshot of another member, or of a session that is over', async () => {
    const boKey = generateIdentity();
    const { facilitator: fac, fragment, snapshot, bo } = await sessionBoWillReload(boKey);
    await reloadAway(fac, bo);
    const stranger = await newClient(relay, { name: 'Eve' });
    clients.push(stranger);
    await stranger.openInvite(fragment);
    await expect(stranger.restoreSession(snapshot)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(stranger.restoreSession({ ...(snapshot as object), v: 2 })).rejects.toMatchObject({ code: 'BAD_VERSION' });
    await expect(stranger.restoreSession({ nonsense: true })).rejects.toMatchObject({ code: 'MALFORMED' });
    expect(stranger.getState().session).toBeNull();

    await fac.closeSession();
    await fac.openSession();
    const again = await newClient(relay, { name: 'Bo', identity: boKey });
    clients.push(again);
    await again.openInvite(fragment);
    await expect(again.restoreSession(snapshot)).rejects.toMatchObject({ code: 'SESSION_NOT_OPEN' });
  });
});
