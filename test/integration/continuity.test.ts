/**
 * Continuity across a flaky network, against the real relay: what is written offline waits (visibly) and goes out
 * once, in order, however long the outage; a lost answer never shows a message twice (the identical envelope, or the
 * client message id when it had to be encrypted again); a re-entry the relay refuses is retried until it succeeds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { KindredClient } from '@kindred/client/engine';
import type { RelayedMessage } from '@kindred/shared/protocol';
import { sessionWith, startRelay, texts, until, type RelayUnderTest } from './harness';

let relay: RelayUnderTest | undefined;
const clients: KindredClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

interface Internals {
  secrets: { retireChain(): void } | null;
}
const internals = (c: KindredClient): Internals => c as unknown as Internals;
const waitingTexts = (c: KindredClient): string[] => (c.getState().session?.messages ?? []).filter((m) => m.waiting).map((m) => m.text);
const countOf = (list: string[], t: string): number => list.filter((x) => x === t).length;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const isAck = (payload: unknown, key: string): boolean => typeof payload === 'object' && payload !== null && key in payload && (payload as { ok?: unknown }).ok === true;

describe('continuity', () => {
  it('messages written offline wait as "waiting to send", outlive the request timeout, then go out once and in order', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 1, { clientOptions: { requestTimeoutMs: 1_000 } });
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);

    const reconnect = alice.connection.simulateNetworkDrop({ hold: true });
    await until(alice, (s) => s.link.offline, 'alice sees she is offline');
    const first = alice.send('offline one');
    const second = alice.send('offline two');
    expect(waitingTexts(alice)).toEqual(['offline one', 'offline two']);
    // Longer than the request timeout: the messages must still be waiting, not refused.
    await sleep(2_500);
    expect(waitingTexts(alice)).toEqual(['offline one', 'offline two']);
    expect(texts(fac)).not.toContain('offline one');

    reconnect();
    const [a, b] = await Promise.all([first, second]);
    expect(a.waiting).toBeUndefined();
    expect(b.waiting).toBeUndefined();
    await until(fac, () => texts(fac).includes('offline two'), 'fac got both');
    await until(alice, (s) => !s.link.offline, 'alice back online');
    await fac.send('after');
    await until(alice, () => texts(alice).includes('after'), 'alice got after');

    const facSaw = texts(fac).filter((t) => t.startsWith('offline'));
    expect(facSaw).toEqual(['offline one', 'offline two']);
    expect(texts(alice)).toEqual(['offline one', 'offline two', 'after']);
    expect(waitingTexts(alice)).toEqual([]);
    expect(alice.getState().warnings).toEqual([]);
    expect(fac.getState().warnings).toEqual([]);
  });

  it('what waited offline past its expiry is never sent; what waited less goes with only the time it had left', async () => {
    relay = await startRelay();
    let shift = 0; // Alice's clock: the outage lasts over an hour without the test waiting for it
    const clock = { now: () => Date.now() + shift };
    const { facilitator: fac, members } = await sessionWith(relay, [{ name: 'Alice', clock }], { policy: { expirySeconds: 3600 } });
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);

    const reconnect = alice.connection.simulateNetworkDrop({ hold: true });
    await until(alice, (s) => s.link.offline, 'alice sees she is offline');
    const tooLate = alice.send('written an hour ago').then(
      () => 'sent',
      (e: unknown) => (e as { code?: string }).code,
    );
    shift = 1_800_000;
    const inTime = alice.send('written half an hour ago');
    shift = 3_700_000; // the first has expired on Alice's screen; the second has 1,700 s left
    reconnect();
    expect(await tooLate).toBe('EXPIRED');
    await inTime;
    await until(fac, () => texts(fac).includes('written half an hour ago'), 'fac got the one still in time');
    await fac.send('after');
    await until(alice, () => texts(alice).includes('after'), 'alice got after');
    expect(texts(fac)).not.toContain('written an hour ago');
    const shown = fac.getState().session!.messages.find((m) => m.text === 'written half an hour ago')!;
    expect(shown.expiresAt - shown.receivedAt).toBeLessThanOrEqual(1_700_000);
    expect(texts(alice)).not.toContain('written an hour ago');
    expect(alice.getState().warnings).toEqual([]);
  });

  it('a lost answer: the identical envelope goes again and every receiver shows the message once', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 2, { clientOptions: { requestTimeoutMs: 1_000 } });
    const [alice, bob] = members as [KindredClient, KindredClient];
    clients.push(fac, alice, bob);

    const lose = loseFirstChatAnswer(relay, alice.me);
    const sent = await alice.send('said once');
    lose.stop();
    expect(lose.lost()).toBe(1);
    await sendAndSeeBarrier(fac, [alice, bob]);
    for (const c of [fac, bob]) expect(countOf(texts(c), 'said once')).toBe(1);
    expect(countOf(texts(alice), 'said once')).toBe(1);
    expect(sent.waiting).toBeUndefined();
    for (const c of [fac, alice, bob]) expect(c.getState().warnings).toEqual([]);
  });

  it('a message encrypted again after a lost answer (my chain replaced meanwhile) is shown once, by its client message id', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 2, { clientOptions: { requestTimeoutMs: 1_000 } });
    const [alice, bob] = members as [KindredClient, KindredClient];
    clients.push(fac, alice, bob);

    // Alice's chain is replaced before she tries again: her retry is a new envelope with the same client id.
    const lose = loseFirstChatAnswer(relay, alice.me, () => internals(alice).secrets?.retireChain());
    await alice.send('encrypted twice');
    lose.stop();
    expect(lose.lost()).toBe(1);
    await sendAndSeeBarrier(fac, [alice, bob]);
    // The relay forwarded two different envelopes of alice's (two chains): each receiver shows one message.
    expect(lose.chatKeyIds.size).toBe(2);
    for (const c of [fac, bob]) expect(countOf(texts(c), 'encrypted twice')).toBe(1);
    for (const c of [fac, alice, bob]) expect(c.getState().warnings).toEqual([]);
  });

  it('a re-entry refused twice (a node that hangs: UNAVAILABLE) is retried with backoff and then succeeds', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 1);
    const alice = members[0] as KindredClient;
    clients.push(fac, alice);

    const reconnect = alice.connection.simulateNetworkDrop({ hold: true });
    await until(alice, (s) => s.link.offline, 'offline');
    let refused = 0;
    const stop = relay.tap.tamper((p) => {
      if (p.ack && p.member === alice.me && isAck(p.payload, 'status') && refused < 2) {
        refused += 1;
        return [{ ok: false, error: { code: 'UNAVAILABLE', message: 'the relay is not available' } }];
      }
      return undefined;
    });
    const failures: number[] = [];
    const off = alice.subscribe((s) => {
      if (s.link.failures > 0 && failures.at(-1) !== s.link.failures) failures.push(s.link.failures);
    });
    reconnect();
    await until(alice, (s) => !s.link.offline, 'alice re-entered', 30_000);
    off();
    stop();
    expect(refused).toBe(2);
    expect(failures).toEqual([1, 2]);
    expect(alice.getState().link.failures).toBe(0);
    await alice.send('back after two refusals');
    await until(fac, () => texts(fac).includes('back after two refusals'), 'fac got it');
    await until(fac, (s) => s.session?.present.includes(alice.me) ?? false, 'alice present');
  });
});

/**
 * Drops the relay's answer to `member`'s first chat message (the relay took it and forwarded it; only the sender
 * never hears so). The member's own copy of each forwarded chat envelope comes just before the answer, which names
 * the answer. `onLose` runs when the answer is dropped.
 */
function loseFirstChatAnswer(r: RelayUnderTest, member: string, onLose?: () => void): { stop: () => void; lost: () => number; chatKeyIds: Set<string> } {
  const chatSeqs = new Set<number>();
  const chatKeyIds = new Set<string>();
  let lost = 0;
  const stop = r.tap.tamper((p) => {
    if (p.member !== member) return undefined;
    if (!p.ack && p.event === 'message') {
      const { seq, envelope } = p.payload as RelayedMessage;
      if (envelope.header.sender === member && envelope.header.type === 'chat') {
        chatSeqs.add(seq);
        chatKeyIds.add(envelope.header.keyId);
      }
      return undefined;
    }
    const answered = (p.payload as { seq?: number }).seq;
    if (p.ack && lost === 0 && answered !== undefined && chatSeqs.has(answered)) {
      lost += 1;
      onLose?.();
      return [];
    }
    return undefined;
  });
  return { stop, lost: () => lost, chatKeyIds };
}

/** A message from `from` that every client in `to` shows: everything the relay pushed them before it was handled. */
async function sendAndSeeBarrier(from: KindredClient, to: KindredClient[]): Promise<void> {
  const text = `barrier ${Math.random()}`;
  await from.send(text);
  for (const c of to) await until(c, () => texts(c).includes(text), 'barrier');
}
