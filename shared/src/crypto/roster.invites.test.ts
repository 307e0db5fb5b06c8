/**
 * The invite ops of the roster: `invite{inviteId, invitePk}` records an invite's public signing key (facilitators
 * check knock proofs with it), `inviteRevoke{inviteId}` moves it to the revoked list. Facilitator-signed like every
 * op, no rekey, ids never reused while remembered, both lists bounded.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding';
import { memberIdOf } from './identity';
import { createInviteSecret, invitePublicKey } from './invite';
import { applyRosterEntry, createGenesis, MAX_LIVE_INVITES, MAX_REVOKED_INVITES, signRosterBody, signRosterEntry, verifyRosterChain } from './roster';
import { initCrypto } from './sodium';
import { expectCode, GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

let creator: IdentityKeyPair, ann: IdentityKeyPair;
let genesisState: RosterState;
const id = (n: number): string => toBase64Url(new Uint8Array(16).fill(0).map((_, i) => (i < 4 ? (n >> (8 * i)) & 0xff : 0x5a)));
const pk = (n: number): string => toBase64Url(new Uint8Array(32).fill(n & 0xff));

beforeAll(async () => {
  await initCrypto();
  [creator, ann] = [1, 2].map(seededIdentity) as [IdentityKeyPair, IdentityKeyPair];
  genesisState = applyRosterEntry(null, createGenesis(creator, GROUP, POLICY));
});

describe('roster: invites', () => {
  it('records an invite and its key, revokes it, and neither rekeys', () => {
    const key = invitePublicKey(createInviteSecret());
    const e1 = signRosterEntry(genesisState, { type: 'invite', inviteId: id(1), invitePk: key }, creator);
    const s1 = applyRosterEntry(genesisState, e1);
    expect(s1.invites).toEqual([{ id: id(1), pk: key }]);
    expect(s1.revokedInvites).toEqual([]);
    expect(s1.rekeyEpoch).toBe(genesisState.rekeyEpoch);
    const e2 = signRosterEntry(s1, { type: 'inviteRevoke', inviteId: id(1) }, creator);
    const s2 = applyRosterEntry(s1, e2);
    expect(s2.invites).toEqual([]);
    expect(s2.revokedInvites).toEqual([{ id: id(1), pk: key }]);
    expect(s2.rekeyEpoch).toBe(genesisState.rekeyEpoch);
    expect(s1.invites).toEqual([{ id: id(1), pk: key }]); // the previous state is not changed
    expect(verifyRosterChain([createGenesis(creator, GROUP, POLICY), e1, e2])).toEqual(s2);
  });

  it('only a facilitator of the previous roster records or revokes an invite (ROSTER_BAD_SIGNER)', () => {
    const A = memberIdOf(ann.publicKey);
    const s = applyRosterEntry(genesisState, signRosterEntry(genesisState, { type: 'admit', member: A }, creator));
    const body = { v: 1 as const, groupId: GROUP, epoch: s.epoch + 1, prev: s.head, signer: A };
    expectCode(() => applyRosterEntry(s, signRosterBody({ ...body, op: { type: 'invite', inviteId: id(2), invitePk: pk(2) } }, ann)), 'ROSTER_BAD_SIGNER');
    const s2 = applyRosterEntry(s, signRosterEntry(s, { type: 'invite', inviteId: id(2), invitePk: pk(2) }, creator));
    const body2 = { v: 1 as const, groupId: GROUP, epoch: s2.epoch + 1, prev: s2.head, signer: A };
    expectCode(() => applyRosterEntry(s2, signRosterBody({ ...body2, op: { type: 'inviteRevoke', inviteId: id(2) } }, ann)), 'ROSTER_BAD_SIGNER');
  });

  it('refuses a reused id, the revocation of an unknown or revoked invite (ROSTER_BAD_OP)', () => {
    let s = applyRosterEntry(genesisState, signRosterEntry(genesisState, { type: 'invite', inviteId: id(3), invitePk: pk(3) }, creator));
    expectCode(() => signRosterEntry(s, { type: 'invite', inviteId: id(3), invitePk: pk(4) }, creator), 'ROSTER_BAD_OP');
    expectCode(() => signRosterEntry(s, { type: 'inviteRevoke', inviteId: id(4) }, creator), 'ROSTER_BAD_OP');
    s = applyRosterEntry(s, signRosterEntry(s, { type: 'inviteRevoke', inviteId: id(3) }, creator));
    expectCode(() => signRosterEntry(s, { type: 'inviteRevoke', inviteId: id(3) }, creator), 'ROSTER_BAD_OP');
    // A revoked id is not brought back under another key (a knock names one key for good).
    expectCode(() => signRosterEntry(s, { type: 'invite', inviteId: id(3), invitePk: pk(5) }, creator), 'ROSTER_BAD_OP');
  });

  it(`keeps at most ${MAX_LIVE_INVITES} live invites and the latest ${MAX_REVOKED_INVITES} revoked`, () => {
    // States built directly (signing 500 entries is slow and adds nothing): the bounds are checked by apply.
    const live = Array.from({ length: MAX_LIVE_INVITES }, (_, n) => ({ id: id(n), pk: pk(n) }));
    const full: RosterState = { ...genesisState, invites: live };
    expectCode(() => signRosterEntry(full, { type: 'invite', inviteId: id(MAX_LIVE_INVITES), invitePk: pk(1) }, creator), 'ROSTER_BAD_OP');
    const revokedFull: RosterState = { ...genesisState, invites: [{ id: id(9999), pk: pk(9) }], revokedInvites: live };
    const after = applyRosterEntry(revokedFull, signRosterEntry(revokedFull, { type: 'inviteRevoke', inviteId: id(9999) }, creator));
    expect(after.revokedInvites).toHaveLength(MAX_REVOKED_INVITES);
    expect(after.revokedInvites.at(-1)).toEqual({ id: id(9999), pk: pk(9) });
    expect(after.revokedInvites[0]).toEqual({ id: id(1), pk: pk(1) }); // the oldest is forgotten
  });
});
