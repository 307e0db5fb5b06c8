/**
 * Replay after chain eviction: a receiver keeps MAX_CHAINS_PER_SENDER chains per sender and erases older ones. A relay
 * that keeps an old sealed sender key and an old ciphertext waits until the sender has made more chains than that
 * (here by its age rekey) and until the message has expired on the receiver, then sends both again; or it forces a
 * sender to re-enter (session.closed) and passes its old session key off as its current one. The receiver's install
 * record and the session-key generations refuse each, and a re-entry forced on the receiver does not reset them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CHAINS_PER_SENDER, type InstallRecord, type ReceiveState } from '@kindred/shared/crypto';
import type { RelayedMessage, SealedSenderKey, SignedSessionKey } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, nextEvent, sendAndSee, sessionWith, texts, until } from '../support/engineClients';

interface Internals {
  ctx: { secrets: { receive: ReceiveState } | null; installRecord: InstallRecord | null };
}
const internals = (c: KindredClient): Internals['ctx'] => (c as unknown as Internals).ctx;

/** Polls what the engine state does not show (its receive state), every 50 ms, for at most 20 s. */
async function eventually(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('replay after more chain evictions than the bound', () => {
  let relay: RelayUnderTest | undefined;
  const open: KindredClient[] = [];
  afterAll(async () => {
    closeAll(open);
    await relay?.close();
  });

  it('an evicted chain sent again, an old session key passed off as current, and a forced re-entry change nothing', async () => {
    relay = await startRelay();
    // The facilitator's clock can be moved forward, so that a message expires on its screen without waiting.
    let shift = 0;
    const clock = { now: () => Date.now() + shift };
    const s = await sessionWith(relay, [{ name: 'Sam', rekeyAfterMs: 250 }], { facilitator: { clock } });
    open.push(...s.all);
    const [fac, sam] = s.all as [KindredClient, KindredClient];
    const samKeys = (relay.tap.sentEvents('session.member') as { member: string; sessionKey?: SignedSessionKey }[]).filter((p) => p.member === sam.me && p.sessionKey);
    const oldSessionKey = samKeys[0]!.sessionKey!;

    const secret = 'I am thinking about ending it';
    await sendAndSee(sam, secret, [fac]);
    const id = fac.getState().session!.messages.find((m) => m.text === secret)!.id;
    const keyId = id.split(':')[1]!;
    const oldMessage = (relay.tap.sentEvents('message') as RelayedMessage[]).find((m) => m.envelope.header.sender === sam.me && m.envelope.header.keyId === keyId)!;
    const oldSealed = (relay.tap.sentEvents('keys.sealed') as { sealed: SealedSenderKey[] }[]).flatMap((p) => p.sealed).find((k) => k.from === sam.me && k.to === fac.me && k.keyId === keyId)!;
    expect(oldMessage).toBeDefined();
    expect(oldSealed).toBeDefined();

    // Sam's chains last 250 ms: each message after that goes on a new one. The facilitator erases the first once it
    // holds more than the bound.
    for (let i = 0; i <= MAX_CHAINS_PER_SENDER; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await sendAndSee(sam, `later message ${i}`, [fac]);
    }
    await eventually(`more than ${MAX_CHAINS_PER_SENDER} newer chains`, () => internals(fac).secrets?.receive.getChain(sam.me, keyId) === undefined);
    // The message expires on the facilitator's screen (its clock moves on, and a stricter expiry applies to it).
    shift = 20_000;
    await fac.setExpiry(10);
    await until(fac, () => !texts(fac).includes(secret), 'the message expired');

    // The relay sends the old sealed key and the old ciphertext again.
    const warned = nextEvent(fac, 'security.warning', (w) => w.code === 'KEY_REPLAY');
    relay.tap.inject(fac.me, 'keys.sealed', { sealed: [oldSealed] });
    relay.tap.inject(fac.me, 'message', { ...oldMessage, seq: oldMessage.seq + 10_000 });
    await warned;
    await sendAndSee(sam, 'a barrier after the replay', [fac]);
    expect(texts(fac)).not.toContain(secret);

    // The relay forces Sam to re-enter (a new session key of a higher generation), then passes Sam's old key off as
    // its current one to the facilitator.
    relay.tap.inject(sam.me, 'session.closed', { groupId: s.groupId, sessionId: oldSessionKey.body.sessionId, reason: 'ended' });
    await until(sam, (st) => st.session === null, 'sam wiped the session');
    sam.acceptRules(true);
    expect(await sam.enterSession()).toBe('joined');
    await sendAndSee(sam, 'back after a forced re-entry', [fac]);
    const warnedAgain = nextEvent(fac, 'security.warning', (w) => w.code === 'KEY_REPLAY');
    relay.tap.inject(fac.me, 'session.member', { groupId: s.groupId, sessionId: oldSessionKey.body.sessionId, member: sam.me, present: true, sessionKey: oldSessionKey });
    await warnedAgain;
    // The facilitator still seals to Sam's current key: Sam reads it.
    await sendAndSee(fac, 'still sealed to the current key', [sam]);

    const seen = fac.getState().warnings;
    expect(seen.filter((w) => w.code === 'KEY_REPLAY').map((w) => w.message.replace(/.*\(/, '('))).toEqual(['(sender key)', '(session key)']);
    // Besides: sealed keys of Sam's old session key still in flight when it re-entered no longer open (DECRYPT_FAILED).
    expect(seen.filter((w) => w.code !== 'KEY_REPLAY' && !(w.code === 'DECRYPT_FAILED' && w.message.endsWith('(sender key)')))).toEqual([]);
    // A re-entry forced on the facilitator wipes its session keys but not the record: the old chain stays refused.
    relay.tap.inject(fac.me, 'session.closed', { groupId: s.groupId, sessionId: oldSessionKey.body.sessionId, reason: 'ended' });
    await until(fac, (st) => st.session === null, 'the facilitator wiped the session');
    fac.acceptRules(true);
    expect(await fac.enterSession()).toBe('joined');
    expect(internals(fac).installRecord?.floorOf(sam.me, keyId)).toBeGreaterThan(oldMessage.envelope.header.counter);
    await sendAndSee(sam, 'after both re-entries', [fac]);
    // (Sealed keys the relay still buffered for the facilitator's old session key no longer open: DECRYPT_FAILED.)
    expect(texts(fac)).not.toContain(secret);
  });
});
