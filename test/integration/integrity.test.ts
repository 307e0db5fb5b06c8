/**
 * What a dishonest relay might push, against engine clients in a live session: each forgery is refused, changes
 * nothing, and (except a plain replay, which is dropped silently) is surfaced as a security warning.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOwnSenderChain,
  createSessionKey,
  encryptMessage,
  generateIdentity,
  memberIdOf,
  signRosterBody,
  type IdentityKeyPair,
  type OwnSenderChain,
  type RosterState,
} from '@kindred/shared/crypto';
import type { ErrorCode } from '@kindred/shared/errors';
import { encodeContent, type Envelope, type SignedRosterEntry } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { sessionWith, startRelay, texts, until, type RelayUnderTest } from './harness';

interface Internals {
  identity: IdentityKeyPair;
  secrets: { chain: OwnSenderChain | null; sealedTo: Set<string> } | null;
}
const internals = (c: KindredClient): Internals => c as unknown as Internals;

describe('a dishonest relay', () => {
  let relay: RelayUnderTest;
  let fac: KindredClient;
  let alice: KindredClient;
  let seq = 50_000;
  const aliceGot: Envelope[] = [];

  beforeAll(async () => {
    relay = await startRelay();
    const s = await sessionWith(relay, 2);
    fac = s.facilitator;
    alice = s.members[0] as KindredClient;
    alice.connection.onPush('message', (m) => void aliceGot.push(m.envelope));
  });

  afterAll(async () => {
    fac?.close();
    for (const c of [alice]) c?.close();
    await relay?.close();
  });

  function push(target: KindredClient, event: string, payload: unknown): void {
    for (const socket of relay.app.io.sockets.sockets.values()) {
      if (socket.data.member === target.me) (socket.emit as (e: string, p: unknown) => boolean)(event, payload);
    }
  }

  /** Sends a real message from fac afterwards: once alice shows it, everything pushed before was handled. */
  async function sync(): Promise<void> {
    const marker = `sync-${seq}`;
    await fac.send(marker);
    await until(alice, () => texts(alice).includes(marker), marker);
  }

  const warningCodes = (): ErrorCode[] => alice.getState().warnings.map((w) => w.code);

  it('drops and counts a push that does not match the catalogue', async () => {
    const before = alice.getState().invalidPushes;
    push(alice, 'message', { seq: 'x', envelope: { nope: true } });
    push(alice, 'no.such.event', {});
    await sync();
    expect(alice.getState().invalidPushes).toBe(before + 2);
    expect(warningCodes()).toEqual([]);
  });

  it('drops a replayed message silently and shows it once', async () => {
    await fac.send('once only');
    await until(alice, () => texts(alice).includes('once only'), 'once only');
    const shown = texts(alice).length;
    expect(aliceGot.length).toBeGreaterThan(0);
    for (const env of aliceGot) push(alice, 'message', { seq: ++seq, envelope: env }); // every message again
    await sync();
    expect(texts(alice).filter((t) => t === 'once only')).toHaveLength(1);
    expect(texts(alice)).toHaveLength(shown + 1); // only the sync marker is new
    expect(warningCodes()).toEqual([]);
  });

  it('refuses a message from a ghost (never in the roster) and warns', async () => {
    const ghost = generateIdentity();
    const roster = alice.getState().group!.roster as RosterState;
    const chain = createOwnSenderChain({
      groupId: roster.groupId,
      sessionId: roster.session!.id,
      epoch: roster.epoch,
      rosterHash: roster.head,
      sender: memberIdOf(ghost.publicKey),
      nowMs: Date.now(),
    });
    const env = encryptMessage(chain, { type: 'chat', ttl: 60 }, encodeContent('chat', { kind: 'text', text: 'ghost says hi' }));
    push(alice, 'message', { seq: ++seq, envelope: env });
    await sync();
    expect(texts(alice)).not.toContain('ghost says hi');
    expect(warningCodes()).toContain('SENDER_NOT_IN_ROSTER');
  });

  it('does not show a ghost the relay announces as present, nor seal anything to it', async () => {
    const ghost = generateIdentity();
    const ghostId = memberIdOf(ghost.publicKey);
    const { groupId, sessionId } = alice.getState().session!;
    push(alice, 'session.member', { groupId, sessionId, member: ghostId, present: true, sessionKey: createSessionKey(ghost, groupId, sessionId).signed });
    await sync();
    expect(alice.getState().session!.present).not.toContain(ghostId);
    expect(internals(alice).secrets!.sealedTo.has(ghostId)).toBe(false);
  });

  it('refuses a tampered message and warns', async () => {
    const env = encryptMessage(internals(fac).secrets!.chain!, { type: 'chat', ttl: 60 }, encodeContent('chat', { kind: 'text', text: 'tampered' }));
    const ct = env.ct.startsWith('A') ? `B${env.ct.slice(1)}` : `A${env.ct.slice(1)}`;
    push(alice, 'message', { seq: ++seq, envelope: { ...env, ct } });
    await sync();
    expect(texts(alice)).not.toContain('tampered');
    expect(warningCodes()).toContain('BAD_SIGNATURE');
  });

  it('refuses a roster entry not signed by a facilitator, and a fork of an accepted epoch', async () => {
    const roster = alice.getState().group!.roster as RosterState;
    // A real, valid signature by a plain member (the relay could relay one it was sent), not by a facilitator.
    const byMember = signRosterBody(
      { v: 1, groupId: roster.groupId, epoch: roster.epoch + 1, prev: roster.head, op: { type: 'lock', on: true }, signer: alice.me },
      internals(alice).identity,
    );
    push(alice, 'roster.entry', { groupId: roster.groupId, entry: byMember });
    // A fork: the facilitator's real key signs a different entry for the epoch alice already accepted.
    const { entries } = await fac.connection.request('roster.get', { groupId: roster.groupId, sinceEpoch: roster.epoch - 1 });
    const accepted = entries[0] as SignedRosterEntry;
    const forked = signRosterBody({ ...accepted.body, op: { type: 'slowMode', seconds: 42 } }, internals(fac).identity);
    push(alice, 'roster.entry', { groupId: roster.groupId, entry: forked });
    await sync();
    expect(alice.getState().group!.roster).toEqual(roster);
    expect(warningCodes()).toEqual(expect.arrayContaining(['ROSTER_BAD_SIGNER', 'ROSTER_FORK']));
  });

  it('refuses a rolled-back roster served with an invite', async () => {
    // A new invite is a roster entry (its signing key): alice follows it before the relay serves the old prefix.
    const fragment = (await fac.createInvite()).fragment;
    const epoch = fac.getState().group!.roster!.epoch;
    await until(alice, (st) => st.group?.roster?.epoch === epoch, 'alice has the invite entry');
    const roster = alice.getState().group!.roster as RosterState;
    const real = alice.connection.request.bind(alice.connection);
    // The relay answers invite.open with an older prefix of the chain.
    (alice.connection as { request: typeof real }).request = (async (event, payload) => {
      const res = await real(event, payload);
      if (event !== 'invite.open') return res;
      const open = res as Awaited<ReturnType<typeof real<'invite.open'>>>;
      return { ...open, roster: open.roster.slice(0, 2) };
    }) as typeof real;
    try {
      await expect(alice.openInvite(fragment)).rejects.toMatchObject({ code: 'ROSTER_ROLLBACK' });
    } finally {
      (alice.connection as { request: typeof real }).request = real;
    }
    expect(alice.getState().group!.roster).toEqual(roster);
    expect(warningCodes()).toContain('ROSTER_ROLLBACK');
  });
});
