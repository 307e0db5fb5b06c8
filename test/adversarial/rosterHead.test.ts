/**
 * A dishonest relay hides roster changes (issue 14, "withheld roster entries"; protocol v2, docs/PROTOCOL.md part B,
 * "Roster head"): the real relay with a WireTap that drops the roster entries it should push to some members, strips
 * them from their roster reads, and forwards what the real relay would refuse. Real engine clients throughout.
 *
 * Each attack worked before protocol v2: a member never learned of a removal or a mute it was not shown, and a
 * message written while muted was shown once the mute was lifted.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encryptMessage, stateHead, type OwnSenderChain, type RosterState } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import { encodeContent, type Envelope, type SignedRosterEntry } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, sendAndSee, sessionWith, texts, until, type Session } from '../support/engineClients';

interface Internals {
  secrets: { chain: OwnSenderChain | null; receive: { getChain(sender: string, keyId: string): unknown } } | null;
}
const internals = (c: KindredClient): Internals => c as unknown as Internals;
const roster = (c: KindredClient): RosterState => c.getState().group!.roster as RosterState;
const hasWarning = (c: KindredClient, code: string): boolean => c.getState().warnings.some((w) => w.code === code);

/** What a member's client would encrypt now (its current chain and stated head), without the engine's local checks. */
function writeAs(client: KindredClient, text: string): Envelope {
  const chain = internals(client).secrets?.chain;
  if (!chain) throw new Error('no chain');
  const r = roster(client);
  stateHead(chain, { epoch: r.epoch, hash: r.head });
  return encryptMessage(chain, { type: 'chat', ttl: 600 }, encodeContent('chat', { kind: 'text', text }));
}

describe('a relay that withholds roster entries', () => {
  let relay: RelayUnderTest;
  let s: Session;
  let fac: KindredClient;
  let alice: KindredClient;
  let bob: KindredClient;
  const open: KindredClient[] = [];

  beforeAll(async () => {
    relay = await startRelay({ storage: 'memory' });
  });
  afterEach(() => {
    relay.tap.clearRules();
    closeAll(open.splice(0));
  });
  afterAll(async () => {
    await relay?.close();
  });

  const fresh = async (): Promise<void> => {
    s = await sessionWith(relay, [{ name: 'Alice' }, { name: 'Bob' }]);
    [fac, alice, bob] = s.all as [KindredClient, KindredClient, KindredClient];
    open.push(...s.all);
    await sendAndSee(alice, 'before the change', [fac, bob]);
    await sendAndSee(bob, 'bob before the change', [fac, alice]);
  };

  /**
   * From `victims`, hide every roster entry from `epoch` on: no push, stripped from roster reads, and (as the relay
   * keeps a removed member in the room) no session.closed. With `peers` false the relay also drops the peer boxes
   * that would bring the entries in-band.
   */
  const withhold = (victims: string[], epoch: number, opts: { peers: boolean }): void => {
    relay.tap.tamper((p) => {
      if (!victims.includes(p.member ?? '')) return undefined;
      if (!p.ack && p.event === 'roster.entry') return (p.payload as { entry: SignedRosterEntry }).entry.body.epoch >= epoch ? [] : undefined;
      if (!p.ack && p.event === 'session.closed') return [];
      if (!p.ack && p.event === 'peer' && !opts.peers) return [];
      const entries = (p.payload as { entries?: SignedRosterEntry[] }).entries;
      if (p.ack && Array.isArray(entries)) return [{ ...(p.payload as object), entries: entries.filter((e) => e.body.epoch < epoch) }];
      return undefined;
    });
  };

  /** The relay forwards to `to` every message and sealed key it sends `like` (a removed member kept in the room). */
  const mirror = (like: string, to: string): void => {
    relay.tap.tamper((p) => {
      if (!p.ack && p.member === like && (p.event === 'message' || p.event === 'keys.sealed')) relay.tap.inject(to, p.event, p.payload);
      return undefined;
    });
  };

  it('withheld removal, entries exchanged in-band: the member it was hidden from learns it from a peer and rekeys; the removed member reads nothing after', async () => {
    await fresh();
    const epoch = roster(fac).epoch + 1;
    withhold([alice.me, bob.me], epoch, { peers: true });
    mirror(fac.me, bob.me);
    await fac.remove(bob.me);
    // The facilitator's fresh chain and head announcement state the new head; the relay hides the entry; Alice gets
    // it from the facilitator in a peer box (after asking: ASK_PEERS_AFTER_MS).
    await until(alice, (st) => !(st.group?.roster?.members.some((m) => m.id === bob.me) ?? true), 'alice learns the removal in-band', 30_000);
    expect(hasWarning(alice, 'ROSTER_WITHHELD')).toBe(false);
    const secret = 'CANARY-after-hidden-removal-5a1c';
    await sendAndSee(alice, secret, [fac]);
    await sendAndSee(fac, 'CANARY-fac-after-hidden-removal-77e2', [alice]);
    // Bob, kept in the room by the relay and fed everything the facilitator gets, holds no key for either message.
    const sent = relay.tap.received.filter((r) => r.includes('"message.send"')).map((r) => (JSON.parse(r.slice(r.indexOf('['))) as [string, { envelope: Envelope }])[1].envelope);
    const after = sent.filter((e) => e.header.headEpoch >= epoch);
    expect(after.length).toBeGreaterThanOrEqual(2);
    for (const env of after) expect(internals(bob).secrets?.receive.getChain(env.header.sender, env.header.keyId)).toBeUndefined();
    expect(texts(bob).some((t) => t.startsWith('CANARY-'))).toBe(false);
    // The facilitator sees that Alice acknowledged its change.
    await until(fac, (st) => st.session?.rosterAcks?.members.find((m) => m.member === alice.me)?.acked === true, 'alice acknowledged');
  });

  it('withheld removal, peer boxes dropped too: the member is warned within the bound and stops sending; the facilitator sees it unacknowledged', async () => {
    await fresh();
    const epoch = roster(fac).epoch + 1;
    withhold([alice.me, bob.me], epoch, { peers: false });
    mirror(fac.me, bob.me);
    await fac.remove(bob.me);
    const warned = await until(alice, (st) => st.warnings.some((w) => w.code === 'ROSTER_WITHHELD'), 'alice warned', 30_000);
    expect(warned.warnings.find((w) => w.code === 'ROSTER_WITHHELD')!.message).toMatch(/withholding changes to this group/);
    expect(warned.session?.rosterGap).toMatchObject({ epoch, withheld: true });
    // She still holds the old roster (Bob in it), and sends nothing: Bob cannot read what is never written.
    expect(roster(alice).members.some((m) => m.id === bob.me)).toBe(true);
    const sendsBefore = relay.tap.received.filter((r) => r.includes('"message.send"')).length;
    await expect(alice.send('CANARY-must-not-leave-9b3e')).rejects.toSatisfy((e) => isKindredError(e, 'ROSTER_WITHHELD'));
    expect(relay.tap.received.filter((r) => r.includes('"message.send"')).length).toBe(sendsBefore);
    // The facilitator who made the change is told Alice has not acknowledged it.
    await until(fac, (st) => st.session?.rosterAcks?.members.find((m) => m.member === alice.me)?.overdue === true, 'alice overdue');
    expect(hasWarning(fac, 'HEAD_NOT_ACKNOWLEDGED')).toBe(true);
    // Once the relay stops withholding, she catches up and may speak again.
    relay.tap.clearRules();
    await alice.refreshRoster();
    await until(alice, (st) => st.session?.rosterGap === null, 'gap closed');
    await sendAndSee(alice, 'back in step', [fac]);
  });

  it('withheld mute: the muted member’s message is never displayed by the member the mute was hidden from', async () => {
    await fresh();
    const epoch = roster(fac).epoch + 1;
    withhold([alice.me, bob.me], epoch, { peers: true });
    await fac.mute(bob.me);
    // Alice learns that a newer roster exists (the facilitator's head announcement) before Bob's message comes.
    await until(alice, (st) => st.session?.rosterGap !== null || (st.group?.roster?.epoch ?? 0) >= epoch, 'alice knows of a newer roster', 30_000);
    // Bob was not shown his mute either: he writes; the real relay refuses it (MUTED), the dishonest one forwards it.
    const secret = 'CANARY-muted-and-hidden-3d4f';
    relay.tap.inject(alice.me, 'message', { seq: 50_000, envelope: writeAs(bob, secret) });
    // A barrier in Alice's delivery order: the facilitator's message, shown once she holds the mute.
    await fac.send('sync after the hidden mute');
    await until(alice, (st) => (st.session?.messages ?? []).some((m) => m.text === 'sync after the hidden mute'), 'sync shown', 30_000);
    expect(roster(alice).members.find((m) => m.id === bob.me)?.muted).toBe(true);
    expect(texts(alice)).not.toContain(secret);
  });

  it('a message written while muted, replayed by the relay after the unmute, is refused', async () => {
    await fresh();
    await fac.mute(bob.me);
    for (const c of s.all) await until(c, (st) => st.group?.roster?.members.find((m) => m.id === bob.me)?.muted === true, 'mute seen');
    // Bob writes while muted (a tampered client: his own engine refuses, and so does the relay); the relay keeps it.
    const secret = 'CANARY-written-while-muted-8c2a';
    const held = writeAs(bob, secret);
    await fac.unmute(bob.me);
    for (const c of s.all) await until(c, (st) => st.group?.roster?.members.find((m) => m.id === bob.me)?.muted === false, 'unmute seen');
    relay.tap.inject(alice.me, 'message', { seq: 50_001, envelope: held });
    await sendAndSee(fac, 'sync after the replay', [alice]); // same socket order: the replay was handled first
    expect(texts(alice)).not.toContain(secret);
    // Bob, unmuted, is shown again: the refusal was the stated head's doing.
    await sendAndSee(bob, 'bob after the unmute', [alice]);
  });
});
