/**
 * Members and strangers try every facilitator action, and a stranger tries to join without an invite: the engine
 * refuses locally, and the relay refuses the same entries when they are forged past the engine. Nothing changes:
 * the roster epoch stays where it was and no client sees a roster change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionKey, signAcceptance, signRosterBody, type RosterState } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { isKindredError, type ErrorCode } from '@kindred/shared/errors';
import type { RosterOp } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { randomBytes } from 'node:crypto';
import { newClient, sessionWith, startRelay, type RelayUnderTest } from './harness';

const b64 = (n: number): string => toBase64Url(randomBytes(n));

describe('facilitator actions by members and strangers', () => {
  let relay: RelayUnderTest;
  let fac: KindredClient;
  let member: KindredClient;
  let other: KindredClient;
  let stranger: KindredClient;
  let groupId: string;
  const changes: string[] = []; // the types of the roster changes seen

  beforeAll(async () => {
    relay = await startRelay();
    const s = await sessionWith(relay, 2);
    fac = s.facilitator;
    [member, other] = s.members as [KindredClient, KindredClient];
    groupId = s.groupId;
    await fac.mute(other.me); // so that 'unmute' is a valid op in itself
    stranger = await newClient(relay);
    for (const c of [fac, member, other]) c.on('roster.change', (ch) => void changes.push(ch.op.type));
  });

  afterAll(async () => {
    for (const c of [fac, member, other, stranger]) c?.close();
    await relay?.close();
  });

  const ops = (): RosterOp[] => {
    const sessionId = (fac.getState().group!.roster as RosterState).session!.id;
    return [
      { type: 'admit', member: stranger.me },
      { type: 'remove', member: other.me },
      { type: 'ban', member: other.me },
      { type: 'unban', member: b64(32) },
      { type: 'role', member: member.me, role: 'facilitator' },
      { type: 'mute', member: fac.me },
      { type: 'unmute', member: other.me },
      { type: 'muteAll', on: true },
      { type: 'lock', on: true },
      { type: 'expiry', expirySeconds: 60 },
      { type: 'slowMode', seconds: 30 },
      { type: 'sessionClose', sessionId },
      { type: 'sessionOpen', sessionId: b64(16) },
    ];
  };

  async function expectRefused(p: Promise<unknown>, codes: ErrorCode[]): Promise<void> {
    try {
      await p;
      expect.unreachable('should have been refused');
    } catch (e) {
      expect(isKindredError(e) ? codes.includes(e.code) : String(e)).toBe(true);
    }
  }

  it('the engine refuses a member every facilitator action before signing anything', async () => {
    const epoch = fac.getState().group!.roster!.epoch;
    await expectRefused(member.mute(other.me), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.remove(other.me), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.ban(other.me), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.promote(member.me), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.lock(true), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.setExpiry(60), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.closeSession(), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.admit(stranger.me), ['ROSTER_BAD_SIGNER']);
    await expectRefused(member.createInvite(), ['NOT_FACILITATOR']);
    expect(fac.getState().group!.roster!.epoch).toBe(epoch);
  });

  it('the relay refuses the same entries signed by a member or a stranger and forged past the engine', async () => {
    const roster = fac.getState().group!.roster as RosterState;
    const before = roster.epoch;
    for (const signer of [member, stranger]) {
      const ik = (signer as unknown as { identity: Parameters<typeof signRosterBody>[1] }).identity;
      for (const op of ops()) {
        const entry = signRosterBody({ v: 1, groupId, epoch: roster.epoch + 1, prev: roster.head, op, signer: signer.me }, ik);
        await expectRefused(signer.connection.request('roster.append', { groupId, entry }), ['ROSTER_BAD_SIGNER', 'NOT_MEMBER', 'FORBIDDEN']);
      }
    }
    // Invites too.
    const invite = { groupId, inviteId: b64(16), gateHash: b64(32), card: { v: 1 as const, nonce: b64(24), ct: b64(100) } };
    await expectRefused(member.connection.request('invite.create', invite), ['NOT_FACILITATOR']);
    await expectRefused(stranger.connection.request('invite.create', invite), ['NOT_FACILITATOR']);
    await expectRefused(member.connection.request('invite.revoke', { groupId, inviteId: b64(16) }), ['NOT_FACILITATOR']);
    // Nothing changed anywhere.
    const after = await fac.connection.request('roster.get', { groupId, sinceEpoch: before });
    expect(after.entries).toEqual([]);
    expect(changes).toEqual([]);
  });

  it('a stranger cannot join or knock without a valid invite', async () => {
    const roster = fac.getState().group!.roster as RosterState;
    const sessionId = roster.session!.id;
    const ik = (stranger as unknown as { identity: Parameters<typeof signAcceptance>[0] }).identity;
    const enter = (extra: Record<string, string>) =>
      stranger.connection.request('session.enter', {
        groupId,
        sessionId,
        acceptance: signAcceptance(ik, { groupId, sessionId, rulesDigest: b64(32), agreement: true }),
        sessionKey: createSessionKey(ik, groupId, sessionId).signed,
        ...extra,
      });
    await expectRefused(enter({}), ['NOT_MEMBER']);
    await expectRefused(enter({ inviteId: b64(16), gateToken: b64(32) }), ['INVITE_INVALID']);
    await expectRefused(stranger.connection.request('roster.get', { groupId, sinceEpoch: -1 }), ['NOT_MEMBER']);
    await expectRefused(stranger.connection.request('invite.open', { groupId, inviteId: b64(16), gateToken: b64(32) }), ['INVITE_INVALID']);
    // Nobody knocked.
    expect(fac.getState().session?.knocks).toEqual([]);
  });
});
