/**
 * A whole facilitated session over the real relay with engine clients: create, invite, rules, knock, admit, chat,
 * co-facilitator, mute (relay refusal AND client-side ignore of a forwarded muted message), unmute, direct note,
 * remove (rekey; the removed member's keys cannot read what follows), ban, lock, end (everyone wipes), and a
 * canary scan of everything the relay stored and logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryReceiveState,
  decryptMessage,
  encryptMessage,
  stateHead,
  installSenderKey,
  sealDirect,
  type PairwiseKeys,
  type OwnSenderChain,
  type ReceiveState,
  type RosterState,
} from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import { encodeContent, encodeDirectContent, type Envelope, type RelayedMessage } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { admitThroughInvite, newClient, nextEvent, startRelay, texts, until, type RelayUnderTest } from './harness';
import { card as baseCard, policy } from './harness';

const CANARY = {
  groupName: 'CANARY-group-name-7f3a',
  rules: 'CANARY-ground-rules-91bc',
  facilitatorName: 'CANARY-name-fac-2d4e',
  aliceName: 'CANARY-name-alice-5a6b',
  bobName: 'CANARY-name-bob-8c9d',
  hello: 'CANARY-msg-hello-0e1f',
  reply: 'CANARY-msg-reply-2a3b',
  muted: 'CANARY-msg-muted-4c5d',
  mutedAfterUnmute: 'CANARY-msg-unmuted-forged-6e7f',
  unmuted: 'CANARY-msg-unmuted-8091',
  direct: 'CANARY-direct-struggling-a2b3',
  afterRemoval: 'CANARY-msg-after-removal-c4d5',
};

interface Internals {
  secrets: { chain: OwnSenderChain | null; receive: ReceiveState; wiped: boolean; sessionId: string } | null;
}
const internals = (c: KindredClient): Internals => c as unknown as Internals;

/**
 * Encrypts with `client`'s live chain without sending: what a relay that ignores a mute could forward. It states the
 * client's current roster head, as the engine does for every message (a head from before a mute would be refused
 * even after the unmute: test/adversarial/rosterHead.test.ts).
 */
function forgeEnvelope(client: KindredClient, text: string): Envelope {
  const chain = internals(client).secrets?.chain;
  if (!chain) throw new Error('no chain');
  const roster = client.getState().group!.roster!;
  stateHead(chain, { epoch: roster.epoch, hash: roster.head });
  return encryptMessage(chain, { type: 'chat', ttl: 600 }, encodeContent('chat', { kind: 'text', text }));
}

/** Pushes a message straight to `target`'s sockets, as a dishonest relay would. */
function injectTo(relay: RelayUnderTest, target: KindredClient, relayed: RelayedMessage): void {
  for (const socket of relay.app.io.sockets.sockets.values()) {
    if (socket.data.member === target.me) socket.emit('message', relayed);
  }
}

describe('a whole session over the real relay', () => {
  let relay: RelayUnderTest;
  let fac: KindredClient;
  let alice: KindredClient;
  let bob: KindredClient;
  let fragment: string;
  const envelopesSeenByBob: Envelope[] = [];

  beforeAll(async () => {
    relay = await startRelay();
    fac = await newClient(relay, { name: CANARY.facilitatorName });
    alice = await newClient(relay, { name: CANARY.aliceName });
    bob = await newClient(relay, { name: CANARY.bobName });
    bob.connection.onPush('message', (m) => void envelopesSeenByBob.push(m.envelope));
  });

  afterAll(async () => {
    for (const c of [fac, alice, bob]) c?.close();
    await relay?.close();
  });

  it('creates a group, opens a session and joins it as facilitator', async () => {
    const created = await fac.createGroup(baseCard({ name: CANARY.groupName, groundRules: CANARY.rules }), policy());
    fragment = created.fragment;
    expect(fragment.startsWith('k2.')).toBe(true);
    await expect(fac.enterSession()).rejects.toSatisfy((e) => isKindredError(e, 'SESSION_NOT_OPEN'));
    await fac.openSession();
    await expect(fac.enterSession()).rejects.toSatisfy((e) => isKindredError(e, 'RULES_NOT_ACCEPTED'));
    fac.acceptRules(true);
    expect(await fac.enterSession()).toBe('joined');
  });

  it('a member opens the invite, sees the rules, must accept them, knocks and is admitted', async () => {
    const shown = await alice.openInvite(fragment);
    expect(shown.name).toBe(CANARY.groupName);
    expect(shown.groundRules).toBe(CANARY.rules);
    expect(() => alice.acceptRules(false)).toThrow(); // the group requires the signed agreement
    await expect(alice.enterSession()).rejects.toSatisfy((e) => isKindredError(e, 'RULES_NOT_ACCEPTED'));
    const knock = nextEvent(fac, 'knock');
    alice.acceptRules(true);
    expect(await alice.enterSession()).toBe('waiting');
    expect((await knock).member).toBe(alice.me);
    expect(fac.getState().session?.knocks.map((k) => k.agreement)).toEqual([true]);
    // Alice introduced herself to the facilitator, privately (the canary scan below covers it).
    await until(fac, (s) => s.session?.knocks[0]?.name === CANARY.aliceName, 'the knock shows her pseudonym');
    await fac.admit(alice.me);
    await until(alice, (s) => s.session?.status === 'joined' && s.session.present.includes(fac.me), 'alice joined');
    await until(fac, (s) => s.session?.present.includes(alice.me) ?? false, 'alice present');
    await admitThroughInvite(fac, bob, fragment);
    await until(alice, (s) => s.session?.present.includes(bob.me) ?? false, 'bob present for alice');
    // Everyone holds the same verified roster.
    const code = fac.getState().group?.epochCode;
    expect(code).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(alice.getState().group?.epochCode).toBe(code);
    expect(bob.getState().group?.epochCode).toBe(code);
    expect(alice.safetyNumber(fac.me)).toBe(fac.safetyNumber(alice.me));
  });

  it('chat flows both ways, with pseudonyms and talk share', async () => {
    await fac.send(CANARY.hello);
    await until(alice, () => texts(alice).includes(CANARY.hello), 'alice got hello');
    await until(bob, () => texts(bob).includes(CANARY.hello), 'bob got hello');
    await alice.send(CANARY.reply);
    await until(fac, () => texts(fac).includes(CANARY.reply), 'fac got reply');
    await until(bob, () => texts(bob).includes(CANARY.reply), 'bob got reply');
    await until(bob, (s) => s.session?.names[alice.me] === CANARY.aliceName, 'bob knows alice name');
    const share = Object.fromEntries(bob.talkShare().map((t) => [t.member, t]));
    expect(share[fac.me]?.messages).toBe(1);
    expect(share[alice.me]?.characters).toBe(CANARY.reply.length);
    expect(share[bob.me]?.messages).toBe(0);
  });

  it('promotes a co-facilitator; every client shows the change', async () => {
    const seen = nextEvent(alice, 'roster.change', (c) => c.op.type === 'role');
    await fac.promote(bob.me);
    expect((await seen).op).toEqual({ type: 'role', member: bob.me, role: 'facilitator' });
    await until(bob, (s) => s.group?.roster?.members.find((m) => m.id === bob.me)?.role === 'facilitator', 'bob facilitator');
  });

  it('mute: the relay refuses, and a client ignores a muted member message even when forwarded', async () => {
    await bob.mute(alice.me); // by the co-facilitator
    await until(fac, (s) => s.group?.roster?.members.find((m) => m.id === alice.me)?.muted === true, 'fac sees mute');
    await until(alice, (s) => s.group?.roster?.members.find((m) => m.id === alice.me)?.muted === true, 'alice sees mute');
    await expect(alice.send('nope')).rejects.toSatisfy((e) => isKindredError(e, 'MUTED'));
    // The relay refuses too (bypassing the engine's own check).
    const forged = forgeEnvelope(alice, CANARY.muted);
    await expect(alice.connection.request('message.send', { envelope: forged })).rejects.toSatisfy((e) => isKindredError(e, 'MUTED'));
    // A dishonest relay forwards it anyway: the facilitator's client ignores it.
    injectTo(relay, fac, { seq: 10_000, envelope: forged });
    await bob.send('sync-after-muted'); // same socket order: once this arrives, the forged one was handled
    await until(fac, () => texts(fac).includes('sync-after-muted'), 'sync');
    expect(texts(fac)).not.toContain(CANARY.muted);
  });

  it('unmute: the member speaks again (and the same forged path would now be shown)', async () => {
    await fac.unmute(alice.me);
    await until(alice, (s) => s.group?.roster?.members.find((m) => m.id === alice.me)?.muted === false, 'unmuted');
    injectTo(relay, fac, { seq: 10_001, envelope: forgeEnvelope(alice, CANARY.mutedAfterUnmute) });
    await until(fac, () => texts(fac).includes(CANARY.mutedAfterUnmute), 'positive control');
    await alice.send(CANARY.unmuted);
    await until(bob, () => texts(bob).includes(CANARY.unmuted), 'bob got unmuted');
  });

  it('a member reaches the facilitators privately', async () => {
    const toFac = nextEvent(fac, 'direct');
    const toBob = nextEvent(bob, 'direct');
    expect(await alice.sendDirect('struggling', CANARY.direct)).toBe(2);
    expect((await toFac).text).toBe(CANARY.direct);
    expect((await toBob).kind).toBe('struggling');
  });

  it('a member cannot mark its note read for the facilitators (a note-read box is taken from facilitators only)', async () => {
    const note = bob.getState().session!.directs.at(-1)!; // the note of the test above, on the co-facilitator's device
    const secrets = (alice as unknown as { secrets: { pairwise: PairwiseKeys; peers: Map<string, Uint8Array>; groupId: string; sessionId: string } }).secrets;
    const forged = encodeDirectContent({ kind: 'note-read', noteId: note.noteId!, author: alice.me });
    const box = sealDirect(secrets.pairwise, { member: bob.me, sessionPk: secrets.peers.get(bob.me)! }, { groupId: secrets.groupId, sessionId: secrets.sessionId, from: alice.me }, forged);
    await alice.connection.request('direct.send', { box });
    await alice.send('sync-after-forged-note-read'); // one socket: once Bob has this, the box before it was handled
    await until(bob, () => texts(bob).includes('sync-after-forged-note-read'), 'sync');
    expect(bob.getState().session!.directs.find((d) => d.id === note.id)?.readAt).toBeNull();
  });

  it('a facilitator marks the note read: the member gets an end-to-end encrypted receipt, the co-facilitator sees it read', async () => {
    expect(alice.getState().session?.sentNotes.at(-1)?.readAt).toBeNull();
    const note = fac.getState().session!.directs.at(-1)!; // the note of the test above
    expect(note.readAt).toBeNull();
    await fac.acknowledgeNote(note.id);
    expect(fac.getState().session!.directs.find((d) => d.id === note.id)).toMatchObject({ readBy: fac.me });
    await until(alice, (s) => (s.session?.sentNotes.at(-1)?.readAt ?? null) !== null, 'alice told her note was read');
    // The co-facilitator's copy stops asking for attention, and says who read it.
    await until(bob, (s) => (s.session?.directs.at(-1)?.readAt ?? null) !== null, 'bob told the note was read');
    expect(bob.getState().session!.directs.at(-1)?.readBy).toBe(fac.me);
    // The relay carried a box, not a flag: nothing of the receipt is readable in its log of the request.
    expect(relay.logs.join('\n')).not.toContain(note.noteId!);
  });

  it('remove: the member is out at once, the rest rekey, and its old keys cannot read what follows', async () => {
    // What Alice holds before removal: every receiving chain (a removed member keeps everything it had).
    const aliceKept = createMemoryReceiveState(internals(alice).secrets!.receive.groupId, internals(alice).secrets!.sessionId);
    for (const ch of internals(alice).secrets!.receive.chains()) {
      installSenderKey(
        aliceKept,
        { ...ch, head: { epoch: ch.epoch, hash: ch.rosterHash }, recipient: alice.me, chainKey: Uint8Array.from(ch.chainKey), counter: ch.nextCounter, signingPk: ch.signingPk },
        Date.now(),
      );
    }
    const aliceRoster = alice.getState().group!.roster as RosterState;
    const oldKeyId = internals(fac).secrets!.chain!.keyId;
    const closed = nextEvent(alice, 'session.closed');
    const rekeyed = nextEvent(fac, 'rekeyed');
    await fac.remove(alice.me);
    expect((await closed).reason).toBe('removed');
    expect(alice.getState().session).toBeNull();
    await rekeyed;
    expect(internals(fac).secrets!.chain!.keyId).not.toBe(oldKeyId);
    await until(bob, (s) => !(s.session?.present.includes(alice.me) ?? true), 'alice gone for bob');
    await fac.send(CANARY.afterRemoval);
    await until(bob, () => texts(bob).includes(CANARY.afterRemoval), 'bob reads after removal');
    const env = envelopesSeenByBob.find((e) => e.header.sender === fac.me && e.header.keyId !== oldKeyId);
    expect(env).toBeDefined();
    try {
      decryptMessage(aliceKept, aliceRoster, env, Date.now());
      expect.unreachable('the removed member read a later message');
    } catch (e) {
      expect(isKindredError(e, 'UNKNOWN_SENDER_KEY')).toBe(true);
    }
    // And the engine of the removed member, fed the ciphertext, shows nothing.
    injectTo(relay, alice, { seq: 20_000, envelope: env! });
    expect(texts(alice)).toEqual([]);
  });

  it('ban: a banned key cannot come back, even with the invite', async () => {
    await fac.ban(alice.me);
    await expect(alice.openInvite(fragment)).rejects.toSatisfy((e) => isKindredError(e, 'BANNED'));
  });

  it('lock: nobody new gets into the waiting room', async () => {
    await fac.lock(true);
    const dora = await newClient(relay);
    try {
      await dora.openInvite(fragment);
      dora.acceptRules(true);
      await expect(dora.enterSession()).rejects.toSatisfy((e) => isKindredError(e, 'SESSION_LOCKED'));
    } finally {
      dora.close();
    }
  });

  it('end of session: every client wipes everything of it', async () => {
    const bobSecrets = internals(bob).secrets!;
    const bobChains = [...bobSecrets.receive.chains()];
    expect(bobChains.length).toBeGreaterThan(0);
    const bobKeys = bobChains.map((c) => c.chainKey);
    const facClosed = nextEvent(fac, 'session.closed');
    const bobClosed = nextEvent(bob, 'session.closed');
    await fac.closeSession();
    expect((await facClosed).reason).toBe('ended');
    expect((await bobClosed).reason).toBe('ended');
    for (const c of [fac, bob]) {
      expect(c.getState().session).toBeNull();
      expect(c.getState().group?.acceptedSession).toBeNull();
      expect(internals(c).secrets).toBeNull();
    }
    expect(bobSecrets.wiped).toBe(true);
    expect([...bobSecrets.receive.chains()]).toEqual([]);
    for (const k of bobKeys) expect(k.every((b) => b === 0)).toBe(true); // sodium_memzero'd
    // A new session needs the rules accepted again.
    const next = await fac.openSession();
    await until(bob, (s) => s.group?.roster?.session?.id === next, 'bob sees the new session');
    await expect(bob.enterSession()).rejects.toSatisfy((e) => isKindredError(e, 'RULES_NOT_ACCEPTED'));
  });

  it('canary: nothing the clients said, named or ruled is in the relay database or its logs', async () => {
    const disk = relay.diskBytes();
    expect(disk.length).toBeGreaterThan(0);
    const logs = relay.logs.join('\n');
    expect(relay.logs.length).toBeGreaterThan(0);
    for (const [what, canary] of Object.entries(CANARY)) {
      expect(disk.includes(Buffer.from(canary, 'utf8')), `${what} on disk`).toBe(false);
      expect(logs.includes(canary), `${what} in logs`).toBe(false);
    }
    // The scan itself can fail: an id the relay must store is found.
    expect(disk.includes(Buffer.from(fac.getState().group!.groupId, 'utf8'))).toBe(true);
  });
});
