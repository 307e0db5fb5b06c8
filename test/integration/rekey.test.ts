/**
 * Key distribution and rekeying at the edges of scale, with engine clients over the real relay:
 *
 * - a relay whose payload bound holds only two sealed keys: distributions are cut into several requests (the engine
 *   halves its request budget on PAYLOAD_TOO_LARGE), and everyone still reads everyone;
 * - the lazy rekey of larger sessions (forced here with eagerRekeyMaxPresent 0): a removal makes nobody seal
 *   anything; each remaining member wipes its chain at once and makes a new one just before its next message, whose
 *   keys reach the relay before the message does; the removed member, with every key it held, reads nothing of it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMemoryReceiveState,
  decryptMessage,
  installSenderKey,
  type OwnSenderChain,
  type ReceiveState,
  type RosterState,
} from '@kindred/shared/crypto';
import type { Envelope } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, nextEvent, sendAndSee, sessionWith, texts, until, waitFor } from '../support/engineClients';

interface Internals {
  secrets: { chain: OwnSenderChain | null; receive: ReceiveState; sessionId: string } | null;
}
const internals = (c: KindredClient): Internals => c as unknown as Internals;

/** Requests of one event the relay received, parsed from the tap (`2<ack id>["event",{...}]`). */
function received(relay: RelayUnderTest, event: string): { raw: string; body: Record<string, unknown> }[] {
  const out: { raw: string; body: Record<string, unknown> }[] = [];
  for (const raw of relay.tap.received) {
    const m = /^\d+(\[[\s\S]*\])$/.exec(raw); // packet type and ack id, then the arguments
    if (!m) continue;
    const [name, body] = JSON.parse(m[1]!) as [string, Record<string, unknown>];
    if (name === event) out.push({ raw, body });
  }
  return out;
}

let relay: RelayUnderTest | undefined;
const open: KindredClient[] = [];
afterEach(async () => {
  closeAll(open.splice(0));
  await relay?.close();
  relay = undefined;
});

describe('key distribution under a small relay payload bound', () => {
  it('cuts keys into several requests the relay accepts, and everyone reads everyone', async () => {
    // ~970 bytes per sealed key (v2 states the roster head): two fit in 2,200 bytes, three do not.
    const maxPayloadBytes = 2_200;
    relay = await startRelay({ storage: 'memory', config: { maxPayloadBytes } });
    const s = await sessionWith(relay, 4);
    open.push(...s.all);
    for (const [i, c] of s.all.entries()) await sendAndSee(c, `hello from ${i}`, s.all.filter((o) => o !== c));
    for (const c of s.all) expect(c.getState().warnings).toEqual([]);

    const distributions = received(relay, 'keys.distribute');
    const sizes = distributions.map((d) => Buffer.byteLength(JSON.stringify(d.body), 'utf8'));
    // The relay refused at least one request as too large (the bound is below the engine's budget)...
    expect(relay.tap.sent.some((p) => p.includes('PAYLOAD_TOO_LARGE'))).toBe(true);
    expect(sizes.some((n) => n > maxPayloadBytes)).toBe(true);
    // ...and the keys went through in smaller requests: some carry two keys, none that was accepted is over the bound.
    const accepted = distributions.filter((_, i) => sizes[i]! <= maxPayloadBytes);
    expect(accepted.some((d) => (d.body.sealed as unknown[]).length === 2)).toBe(true);
    // Every member's chain reached every other member (the messages above), through more requests than chains.
    expect(accepted.length).toBeGreaterThan(s.all.length);
  });
});

/** A facilitator and three members whose every rekey is lazy; Alice captured (every key she holds) and then removed. */
async function lazySessionWithAliceRemoved(r: RelayUnderTest) {
  const s = await sessionWith(r, 3, { clientOptions: { eagerRekeyMaxPresent: 0 } });
  open.push(...s.all);
  const [fac, alice, bob, carol] = s.all as [KindredClient, KindredClient, KindredClient, KindredClient];
  await sendAndSee(bob, 'before the removal', [fac, alice, carol]);
  // Everything Alice holds before her removal: every receiving chain.
  const aliceSecrets = internals(alice).secrets!;
  const aliceKept = createMemoryReceiveState(aliceSecrets.receive.groupId, aliceSecrets.sessionId);
  for (const ch of aliceSecrets.receive.chains()) {
    installSenderKey(aliceKept, { ...ch, head: { epoch: ch.epoch, hash: ch.rosterHash }, recipient: alice.me, chainKey: Uint8Array.from(ch.chainKey), counter: ch.nextCounter, signingPk: ch.signingPk }, Date.now());
  }
  const aliceRoster = alice.getState().group!.roster as RosterState;
  // Positive control for the lock-out below: sent after the capture, on Bob's old chain, readable with what she kept.
  await sendAndSee(bob, 'last on the old chain', [fac, alice, carol]);
  const oldChains = new Map([fac, bob, carol].map((c) => [c.me, internals(c).secrets!.chain!]));
  const rekeys: string[] = [];
  for (const c of [fac, bob, carol]) c.on('rekeyed', () => rekeys.push(c.me));
  const distributedBefore = received(r, 'keys.distribute').length;
  const closed = nextEvent(alice, 'session.closed');
  await fac.remove(alice.me);
  expect((await closed).reason).toBe('removed');
  for (const c of [fac, bob, carol]) await until(c, (st) => !(st.group?.roster?.members.some((m) => m.id === alice.me) ?? true), 'removal seen');
  return { fac, alice, bob, carol, aliceKept, aliceRoster, oldChains, rekeys, distributedBefore };
}

const envelopesOn = (r: RelayUnderTest, keyId: string): Envelope[] =>
  received(r, 'message.send')
    .map((m) => m.body.envelope as Envelope)
    .filter((e) => e.header.keyId === keyId);

describe('lazy rekey after a removal', () => {
  it('seals nothing on the removal, rekeys each sender before its next message, and locks the removed member out', async () => {
    relay = await startRelay({ storage: 'memory' });
    const r = relay;
    const { fac, bob, carol, aliceKept, aliceRoster, oldChains, rekeys, distributedBefore } = await lazySessionWithAliceRemoved(r);
    const epoch = fac.getState().group!.roster!.epoch;
    const bobOld = oldChains.get(bob.me)!;

    // Nobody sealed anything on the removal; every old chain is already wiped, so nothing can encrypt with it.
    expect(rekeys).toEqual([]);
    expect(received(r, 'keys.distribute').length).toBe(distributedBefore);
    for (const c of [fac, bob, carol]) expect(internals(c).secrets!.chain).toBeNull();
    for (const chain of oldChains.values()) expect(chain.wiped).toBe(true);

    // Bob speaks: he makes a new chain at the new epoch first, and only he distributes, to the two who stay.
    const bobRekeyed = nextEvent(bob, 'rekeyed');
    await bob.send('after the removal');
    const { epoch: newEpoch, keyId } = await bobRekeyed;
    expect(newEpoch).toBe(epoch);
    expect(keyId).not.toBe(bobOld.keyId);
    for (const c of [fac, carol]) await until(c, () => texts(c).includes('after the removal'), 'read after the removal');
    expect(rekeys).toEqual([bob.me]);
    const fresh = received(r, 'keys.distribute')
      .slice(distributedBefore)
      .flatMap((d) => (d.body.sealed as { from: string; to: string; keyId: string }[]).map((k) => `${k.from} ${k.keyId} ${k.to}`));
    expect(fresh.sort()).toEqual([fac.me, carol.me].map((to) => `${bob.me} ${keyId} ${to}`).sort());
    // Each one got the new key before the message on it.
    for (const c of [fac, carol]) {
      const keyAt = r.tap.sent.findIndex((p) => p.includes('"keys.sealed"') && p.includes(keyId) && p.includes(`"to":"${c.me}"`));
      const msgAt = r.tap.sent.findIndex((p, i) => i > keyAt && p.includes('"message"') && p.includes(keyId));
      expect(keyAt).toBeGreaterThanOrEqual(0);
      expect(msgAt).toBeGreaterThan(keyAt);
    }

    // The removed member, with every key she held, cannot read Bob's message after her removal...
    const [after] = envelopesOn(r, keyId);
    expect(after).toBeDefined();
    expect(() => decryptMessage(aliceKept, aliceRoster, after!, Date.now())).toThrow(expect.objectContaining({ code: 'UNKNOWN_SENDER_KEY' }));
    // ...while the same kept state reads his last message on the old chain (so the refusal is the rekey's doing).
    const last = envelopesOn(r, bobOld.keyId).at(-1)!;
    expect(new TextDecoder().decode(decryptMessage(aliceKept, aliceRoster, last, Date.now()).plaintext)).toContain('last on the old chain');

    // The others' chains are made when they speak, and everyone still reads everyone.
    await sendAndSee(carol, 'carol after the removal', [fac, bob]);
    await sendAndSee(fac, 'fac after the removal', [bob, carol]);
    expect([...rekeys].sort()).toEqual([fac.me, bob.me, carol.me].sort());
    for (const c of [fac, bob, carol]) expect(c.getState().warnings).toEqual([]);
  });

  it('a message waits for the relay to accept its new chain: refused keys mean no message', async () => {
    relay = await startRelay({ storage: 'memory' });
    const r = relay;
    const { fac, bob, carol } = await lazySessionWithAliceRemoved(r);
    // The relay answers Bob's key distribution with a refusal (after forwarding it: the keys are not the point).
    const sendsBefore = received(r, 'message.send').length;
    let refused = 0;
    const stop = r.tap.tamper((p) => {
      // keys.distribute's answer: ok, with one outcome per recipient.
      const answer = p.payload as { ok?: unknown; recipients?: unknown } | undefined;
      if (!p.ack || p.member !== bob.me || answer?.ok !== true || !Array.isArray(answer.recipients)) return undefined;
      refused += 1;
      return [{ ok: false, error: { code: 'UNAVAILABLE', message: 'refused by the test' } }];
    });
    // The message waits in the outbox (shown as waiting to send) while its keys are refused, however many times.
    const sending = bob.send('waits for its keys');
    await waitFor(() => refused >= 4, 'four refused distributions');
    expect(received(r, 'message.send').length).toBe(sendsBefore);
    expect(bob.getState().session?.messages.find((m) => m.text === 'waits for its keys')?.waiting).toBe(true);
    stop();
    // Once the relay takes the keys, the message goes, and both read it.
    await sending;
    for (const c of [fac, carol]) await until(c, () => texts(c).includes('waits for its keys'), 'delivered once the keys are taken');
  });
});
