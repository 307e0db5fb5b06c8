/**
 * Introductions at the waiting room's door, over the real relay with engine clients: a knocker's pseudonym (and a new
 * one after a rename) reaches the facilitators present, one who arrives while it waits and one promoted while it
 * waits, and never the relay (canary scan of what it stored, logged, sent and received). Played by a dishonest relay:
 * a member passed off as a facilitator hears nothing, a forged introduction and a knocker's note are refused, an
 * introduction that overtakes its knock waits for it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPairwiseKeys, createSessionKey, generateIdentity, sealDirect, type PairwiseKeys } from '@kindred/shared/crypto';
import { encodeDirectContent, type PresentMember } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, newClient, nextEvent, sendAndSee, sessionWith, until, warnings, type Session } from '../support/engineClients';
import { canaryHits } from '../support/canary';

interface Internals {
  secrets: { peers: Map<string, Uint8Array>; pairwise: PairwiseKeys; knockProofHash?: string } | null;
}
const secretsOf = (c: KindredClient) => (c as unknown as Internals).secrets!;
const nameOnKnock = (c: KindredClient, member: string): string | undefined => c.getState().session?.knocks.find((k) => k.member === member)?.name;

/** The `direct.send` requests the relay received from clients, as [sender box from, recipient]. */
function directRequests(relay: RelayUnderTest): { from: string; to: string }[] {
  return relay.tap.received
    .filter((r) => r.includes('"direct.send"'))
    .map((r) => JSON.parse(r.slice(r.indexOf('['))) as [string, { box: { from: string; to: string } }])
    .map(([, req]) => ({ from: req.box.from, to: req.box.to }));
}

/** The signed session key `member` entered the session with, as the relay received it. */
function enteredKey(relay: RelayUnderTest, member: string): PresentMember['sessionKey'] {
  const key = relay.tap.received
    .filter((r) => r.includes('"session.enter"') && r.includes(member))
    .map((r) => JSON.parse(r.slice(r.indexOf('['))) as [string, { sessionKey?: PresentMember['sessionKey'] }])
    .map(([, req]) => req.sessionKey)
    .filter((k) => k?.body.member === member)
    .at(-1);
  if (!key) throw new Error('no session key entered');
  return key;
}

describe('introductions in the waiting room', () => {
  let relay: RelayUnderTest;
  const open: KindredClient[] = [];
  const canaries: Record<string, string> = {};
  let seq = 0;
  const pseudonym = (): string => {
    const name = `CANARY-knocker-${(seq++).toString(36)}-3b7d`;
    canaries[name] = name;
    return name;
  };

  beforeAll(async () => {
    relay = await startRelay();
  });

  afterAll(async () => {
    await relay?.close();
  });

  afterEach(() => {
    relay.tap.clearRules();
    closeAll(open.splice(0));
  });

  /** A facilitator and one member in session, and a guest who opened the invite and accepted the rules. */
  async function sessionAndGuest(name = pseudonym()): Promise<{ s: Session; fac: KindredClient; alice: KindredClient; guest: KindredClient; name: string }> {
    const s = await sessionWith(relay, 1);
    const guest = await newClient(relay, { name });
    open.push(...s.all, guest);
    await guest.openInvite(s.fragment);
    guest.acceptRules(true);
    return { s, fac: s.facilitator, alice: s.members[0] as KindredClient, guest, name };
  }

  it('the facilitators present, and one who arrives while the guest waits, see its pseudonym on its knock', async () => {
    const { fac, alice, guest, name } = await sessionAndGuest();
    await fac.promote(alice.me);
    await until(alice, (st) => st.group?.roster?.members.some((m) => m.id === alice.me && m.role === 'facilitator') ?? false, 'alice promoted');
    await alice.leaveSession();

    expect(await guest.enterSession()).toBe('waiting');
    await until(fac, () => nameOnKnock(fac, guest.me) === name, 'fac sees the name');
    // Only to the facilitator present: alice had left.
    expect(directRequests(relay).filter((d) => d.from === guest.me)).toEqual([{ from: guest.me, to: fac.me }]);

    alice.acceptRules(true);
    expect(await alice.enterSession()).toBe('joined');
    await until(alice, () => nameOnKnock(alice, guest.me) === name, 'alice, arriving later, sees the name');
    expect(directRequests(relay).filter((d) => d.from === guest.me).map((d) => d.to).sort()).toEqual([fac.me, alice.me].sort());

    await fac.admit(guest.me);
    await until(guest, (st) => st.session?.status === 'joined', 'guest admitted');
    await until(fac, (st) => st.session?.knocks.length === 0, 'the knock is gone');
  });

  it('a member made co-facilitator while the guest waits learns its pseudonym, and both hear a new one', async () => {
    const { fac, alice, guest, name } = await sessionAndGuest();
    expect(await guest.enterSession()).toBe('waiting');
    await until(fac, () => nameOnKnock(fac, guest.me) === name, 'fac sees the name');
    expect(alice.getState().session?.knocks).toEqual([]);
    await fac.promote(alice.me);
    await until(alice, () => nameOnKnock(alice, guest.me) === name, 'the new co-facilitator sees the name');
    // A new pseudonym while waiting reaches both.
    const renamed = pseudonym();
    guest.setDisplayName(renamed);
    await until(fac, () => nameOnKnock(fac, guest.me) === renamed, 'fac sees the new name');
    await until(alice, () => nameOnKnock(alice, guest.me) === renamed, 'alice sees the new name');
  });

  it('a facilitator gone before its introduction does not keep the others from hearing it', async () => {
    const { fac, alice, guest, name } = await sessionAndGuest();
    await fac.promote(alice.me);
    await until(alice, (st) => st.group?.roster?.members.some((m) => m.id === alice.me && m.role === 'facilitator') ?? false, 'alice promoted');
    const aliceGone: PresentMember = { member: alice.me, sessionKey: enteredKey(relay, alice.me) };
    await alice.leaveSession();
    // The answer lists alice first, as if she had left between the answer and the introduction.
    relay.tap.tamper((p) => {
      const pl = p.payload as { status?: string; present?: PresentMember[] };
      return p.ack && p.member === guest.me && pl.status === 'waiting' ? [{ ...pl, present: [aliceGone, ...(pl.present ?? [])] }] : undefined;
    });
    expect(await guest.enterSession()).toBe('waiting');
    await until(fac, () => nameOnKnock(fac, guest.me) === name, 'fac still hears the name');
    expect(directRequests(relay).filter((d) => d.from === guest.me).map((d) => d.to)).toEqual([alice.me, fac.me]);
  });

  it('a member the relay passes off as a facilitator is not introduced to', async () => {
    const { fac, alice, guest, name } = await sessionAndGuest();
    const aliceAsFacilitator: PresentMember = { member: alice.me, sessionKey: enteredKey(relay, alice.me) };
    relay.tap.tamper((p) => {
      const pl = p.payload as { status?: string; present?: PresentMember[] };
      return p.ack && p.member === guest.me && pl.status === 'waiting' ? [{ ...pl, present: [...(pl.present ?? []), aliceAsFacilitator] }] : undefined;
    });
    expect(await guest.enterSession()).toBe('waiting');
    relay.tap.inject(guest.me, 'session.member', { groupId: aliceAsFacilitator.sessionKey.body.groupId, sessionId: aliceAsFacilitator.sessionKey.body.sessionId, member: alice.me, present: true, sessionKey: aliceAsFacilitator.sessionKey });
    await until(fac, () => nameOnKnock(fac, guest.me) === name, 'the real facilitator is introduced to');
    // A barrier on the guest's socket: anything it was going to send after the injected arrival has been sent.
    await guest.refreshRoster();
    expect(directRequests(relay).filter((d) => d.from === guest.me).map((d) => d.to)).toEqual([fac.me]);
  });

  it('a forged introduction (another key) and a note from a knocker are refused with a warning', async () => {
    const { s, fac, alice, guest, name } = await sessionAndGuest();
    expect(await guest.enterSession()).toBe('waiting');
    await until(fac, () => nameOnKnock(fac, guest.me) === name, 'fac sees the name');
    const sessionId = fac.getState().session!.sessionId;
    const facPk = secretsOf(alice).peers.get(fac.me)!;
    const to = { member: fac.me, sessionPk: facPk };
    const ctx = { groupId: s.groupId, sessionId, from: guest.me };

    // The relay's own session key, boxed as if from the guest.
    const impostor = createPairwiseKeys(createSessionKey(generateIdentity(), s.groupId, sessionId).keyPair);
    const knock = secretsOf(guest).knockProofHash!;
    const forged = sealDirect(impostor, to, ctx, encodeDirectContent({ kind: 'introduction', name: 'Impostor', knock }));
    const warned = nextEvent(fac, 'security.warning');
    relay.tap.inject(fac.me, 'direct', { box: forged });
    expect((await warned).code).toBe('DECRYPT_FAILED');
    expect(nameOnKnock(fac, guest.me)).toBe(name);

    // The guest's real key, but a private note: only members' notes reach the facilitators' inbox.
    const note = sealDirect(secretsOf(guest).pairwise, to, ctx, encodeDirectContent({ kind: 'struggling', text: 'let me in' }));
    const warned2 = nextEvent(fac, 'security.warning');
    relay.tap.inject(fac.me, 'direct', { box: note });
    expect((await warned2).code).toBe('SENDER_NOT_IN_ROSTER');

    // The guest's real key, but a name for another knock than the one the facilitator verified: not shown.
    const elsewhere = sealDirect(secretsOf(guest).pairwise, to, ctx, encodeDirectContent({ kind: 'introduction', name: 'Elsewhere', knock: 'A'.repeat(43) }));
    const warned3 = nextEvent(fac, 'security.warning');
    relay.tap.inject(fac.me, 'direct', { box: elsewhere });
    expect((await warned3).code).toBe('KNOCK_UNPROVEN');
    expect(nameOnKnock(fac, guest.me)).toBe(name);
    expect(fac.getState().session?.directs).toEqual([]);
    expect(warnings(fac)).toEqual(['DECRYPT_FAILED', 'SENDER_NOT_IN_ROSTER', 'KNOCK_UNPROVEN']);
  });

  it('an introduction that overtakes its knock is kept and shown once the knock arrives', async () => {
    const { fac, alice, guest, name } = await sessionAndGuest();
    let held: unknown;
    relay.tap.tamper((p) => {
      if (p.ack || p.member !== fac.me || p.event !== 'session.knock') return undefined;
      held = p.payload;
      return [];
    });
    expect(await guest.enterSession()).toBe('waiting');
    // The introduction reached the facilitator (a barrier on its socket), with no knock to put it on.
    await sendAndSee(alice, 'barrier', [fac]);
    expect(directRequests(relay).filter((d) => d.from === guest.me)).toEqual([{ from: guest.me, to: fac.me }]);
    expect(fac.getState().session?.knocks).toEqual([]);
    expect(held).toBeDefined();
    relay.tap.clearRules();
    relay.tap.inject(fac.me, 'session.knock', held);
    await until(fac, () => nameOnKnock(fac, guest.me) === name, 'the name on the late knock');
    expect(warnings(fac)).toEqual([]);
  });

  it('canary: no pseudonym a knocker introduced itself with is in what the relay stored, logged, sent or received', () => {
    expect(Object.keys(canaries)).toHaveLength(7);
    expect(canaryHits(relay, canaries)).toEqual([]);
    // The scan can fail: the knockers' ids, which the relay routes, are in what it received.
    expect(relay.tap.received.some((r) => r.includes('"direct.send"'))).toBe(true);
  });
});
