import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import type { ErrorCode } from '../errors';
import type { RosterEntryBody, RosterOp, SignedRosterEntry } from '../protocol/objects';
import { fingerprint, memberIdOf } from './identity';
import {
  applyRosterEntry, createGenesis, isFacilitator, memberMaySend, rosterEntryHash, rosterMember, signRosterBody, signRosterEntry, verifyRosterChain,
} from './roster';
import { initCrypto } from './sodium';
import { expectCode, GROUP, OTHER_GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

const S1 = toBase64Url(new Uint8Array(16).fill(21));
const S2 = toBase64Url(new Uint8Array(16).fill(22));

let creator: IdentityKeyPair, ann: IdentityKeyPair, bob: IdentityKeyPair, cat: IdentityKeyPair, eve: IdentityKeyPair;
let C: string, A: string, B: string, K: string, E: string;

beforeAll(async () => {
  await initCrypto();
  [creator, ann, bob, cat, eve] = [1, 2, 3, 4, 5].map(seededIdentity) as [IdentityKeyPair, IdentityKeyPair, IdentityKeyPair, IdentityKeyPair, IdentityKeyPair];
  [C, A, B, K, E] = [creator, ann, bob, cat, eve].map((k) => memberIdOf(k.publicKey)) as [string, string, string, string, string];
});

/** A chain and its states, built with the checking signer. */
function build(steps: [RosterOp, IdentityKeyPair][]): { chain: SignedRosterEntry[]; states: RosterState[] } {
  const chain = [createGenesis(creator, GROUP, POLICY)];
  const states = [applyRosterEntry(null, chain[0])];
  for (const [op, ik] of steps) {
    const e = signRosterEntry(states[states.length - 1]!, op, ik);
    chain.push(e);
    states.push(applyRosterEntry(states[states.length - 1]!, e));
  }
  return { chain, states };
}

/** Signs the next body after `state` without the rule check: how a forger or a buggy client would. */
function raw(state: RosterState, op: RosterOp, ik: IdentityKeyPair, patch: Partial<RosterEntryBody> = {}): SignedRosterEntry {
  return signRosterBody({ v: 1, groupId: state.groupId, epoch: state.epoch + 1, prev: state.head, op, signer: memberIdOf(ik.publicKey), ...patch }, ik);
}

describe('roster: every operation round-trips', () => {
  it('applies each op type, in order, and verifyRosterChain gives the same state', () => {
    const { chain, states } = build([
      [{ type: 'admit', member: A }, creator], // 1
      [{ type: 'admit', member: B }, creator], // 2
      [{ type: 'role', member: A, role: 'facilitator' }, creator], // 3
      [{ type: 'admit', member: K }, ann], // 4: a promoted co-facilitator can admit
      [{ type: 'mute', member: B }, ann], // 5
      [{ type: 'unmute', member: B }, creator], // 6
      [{ type: 'muteAll', on: true }, creator], // 7
      [{ type: 'lock', on: true }, creator], // 8
      [{ type: 'lock', on: false }, creator], // 9
      [{ type: 'expiry', expirySeconds: 600 }, creator], // 10
      [{ type: 'slowMode', seconds: 30 }, creator], // 11
      [{ type: 'sessionOpen', sessionId: S1 }, ann], // 12
      [{ type: 'sessionClose', sessionId: S1 }, ann], // 13
      [{ type: 'ban', member: E }, creator], // 14: from the waiting room (not a member)
      [{ type: 'unban', member: E }, creator], // 15
      [{ type: 'remove', member: B }, creator], // 16
      [{ type: 'leave', member: K }, cat], // 17: self
      [{ type: 'role', member: A, role: 'member' }, creator], // 18
      [{ type: 'ban', member: A }, creator], // 19: a member
    ]);
    const s = (n: number) => states[n]!;
    expect(s(0)).toMatchObject({ groupId: GROUP, epoch: 0, creator: C, members: [{ id: C, role: 'facilitator', muted: false }], banned: [], locked: false, session: null, rekeyEpoch: 0 });
    expect(rosterMember(s(2), B)).toEqual({ id: B, role: 'member', muted: false });
    expect(isFacilitator(s(3), A)).toBe(true);
    expect(rosterMember(s(4), K)?.role).toBe('member');
    expect(rosterMember(s(5), B)?.muted).toBe(true);
    expect(memberMaySend(s(5), B)).toBe(false);
    expect(rosterMember(s(6), B)?.muted).toBe(false);
    expect(s(7).policy.muteAllButFacilitators).toBe(true);
    expect(memberMaySend(s(7), B)).toBe(false);
    expect(memberMaySend(s(7), A)).toBe(true);
    expect(s(8).locked).toBe(true);
    expect(s(9).locked).toBe(false);
    expect(s(10).policy.expirySeconds).toBe(600);
    expect(s(11).policy.slowModeSeconds).toBe(30);
    expect(s(12).session).toEqual({ id: S1, open: true });
    expect(s(13).session).toEqual({ id: S1, open: false });
    expect(s(14).banned).toEqual([E]);
    expect(s(15).banned).toEqual([]);
    expect(rosterMember(s(16), B)).toBeUndefined();
    expect(rosterMember(s(17), K)).toBeUndefined();
    expect(rosterMember(s(18), A)?.role).toBe('member');
    expect(rosterMember(s(19), A)).toBeUndefined();
    expect(s(19).banned).toEqual([A]);
    // members stay sorted by id
    const ids = s(4).members.map((m) => m.id);
    expect(ids).toEqual([...ids].sort());
    // rekeyEpoch moves exactly on sessionOpen, sessionClose, ban, remove, leave
    expect(states.map((x) => x.rekeyEpoch)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 13, 14, 14, 16, 17, 17, 19]);
    // epoch, head and prev are chained
    chain.forEach((e, i) => {
      expect(e.body.epoch).toBe(i);
      expect(states[i]!.head).toBe(rosterEntryHash(e));
      expect(e.body.prev).toBe(i === 0 ? '' : states[i - 1]!.head);
    });
    expect(verifyRosterChain(chain, { groupId: GROUP, creatorFingerprint: fingerprint(C) })).toEqual(s(19));
  });

  it('is pure: the previous state is not changed', () => {
    const { states } = build([[{ type: 'admit', member: A }, creator]]);
    const before = clone(states[1]!);
    const frozen = deepFreeze(clone(states[1]!));
    applyRosterEntry(frozen, signRosterEntry(frozen, { type: 'mute', member: A }, creator));
    applyRosterEntry(states[1]!, signRosterEntry(states[1]!, { type: 'ban', member: A }, creator));
    expect(states[1]).toEqual(before);
  });
});

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

describe('roster: tampering is refused', () => {
  it('refuses every single-bit change of the signature (BAD_SIGNATURE or MALFORMED encoding)', () => {
    const { states } = build([]);
    const e = signRosterEntry(states[0]!, { type: 'admit', member: A }, creator);
    const sig = fromBase64Url(e.sig);
    for (let bit = 0; bit < 512; bit++) {
      const s = sig.slice();
      s[bit >> 3]! ^= 1 << (bit & 7);
      expectCode(() => applyRosterEntry(states[0]!, { body: e.body, sig: toBase64Url(s) }), 'BAD_SIGNATURE');
    }
  });

  it('refuses every single-bit change of the admitted key (BAD_SIGNATURE)', () => {
    const { states } = build([]);
    const e = signRosterEntry(states[0]!, { type: 'admit', member: A }, creator);
    const pk = fromBase64Url(A);
    for (let bit = 0; bit < 256; bit++) {
      const k = pk.slice();
      k[bit >> 3]! ^= 1 << (bit & 7);
      const body = { ...e.body, op: { type: 'admit' as const, member: toBase64Url(k) } };
      expectCode(() => applyRosterEntry(states[0]!, { body, sig: e.sig }), 'BAD_SIGNATURE');
    }
  });

  it('refuses a change of any other body field, each with its code', () => {
    const { states } = build([[{ type: 'admit', member: A }, creator], [{ type: 'role', member: A, role: 'facilitator' }, creator]]);
    const st = states[2]!;
    const e = signRosterEntry(st, { type: 'mute', member: A }, creator);
    const b = e.body;
    const cases: [Partial<RosterEntryBody>, ErrorCode][] = [
      [{ op: { type: 'unmute', member: A } }, 'BAD_SIGNATURE'],
      [{ op: { type: 'mute', member: B } }, 'BAD_SIGNATURE'],
      [{ signer: A }, 'BAD_SIGNATURE'], // A is a facilitator too: the stated signer must have signed
      [{ groupId: OTHER_GROUP }, 'ROSTER_WRONG_GROUP'],
      [{ epoch: b.epoch + 1 }, 'ROSTER_SKIPPED_EPOCH'],
      [{ epoch: b.epoch - 1 }, 'ROSTER_ROLLBACK'],
      [{ prev: states[1]!.head }, 'ROSTER_BAD_PREV_HASH'],
    ];
    for (const [patch, code] of cases) expectCode(() => applyRosterEntry(st, { body: { ...b, ...patch }, sig: e.sig }), code);
    // re-signed by the same signer, the same changes are refused for what they are, not for the signature
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'mute', member: A }, creator, { groupId: OTHER_GROUP })), 'ROSTER_WRONG_GROUP');
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'mute', member: A }, creator, { prev: states[1]!.head })), 'ROSTER_BAD_PREV_HASH');
    expect(applyRosterEntry(st, e).epoch).toBe(3); // and the untouched entry is fine
  });

  it('refuses malformed entries (MALFORMED)', () => {
    const { states } = build([]);
    const e = signRosterEntry(states[0]!, { type: 'admit', member: A }, creator);
    const bad: unknown[] = [
      null,
      {},
      { ...e, extra: 1 },
      { body: { ...e.body, v: 2 }, sig: e.sig },
      { body: { ...e.body, op: { type: 'admit', member: A, role: 'facilitator' } }, sig: e.sig },
      { body: { ...e.body, op: { type: 'promote', member: A } }, sig: e.sig },
      { body: e.body, sig: e.sig.slice(1) },
      { body: { ...e.body, epoch: 1.5 }, sig: e.sig },
    ];
    for (const x of bad) expectCode(() => applyRosterEntry(states[0]!, x), 'MALFORMED');
  });
});

describe('roster: authority is judged in the previous state', () => {
  it('refuses an entry signed by a plain member (ROSTER_BAD_SIGNER)', () => {
    const { states } = build([[{ type: 'admit', member: A }, creator]]);
    expectCode(() => applyRosterEntry(states[1]!, raw(states[1]!, { type: 'admit', member: B }, ann)), 'ROSTER_BAD_SIGNER');
    expectCode(() => signRosterEntry(states[1]!, { type: 'admit', member: B }, ann), 'ROSTER_BAD_SIGNER');
  });

  it('refuses a member promoting itself in the same entry (ROSTER_BAD_SIGNER)', () => {
    const { states } = build([[{ type: 'admit', member: A }, creator]]);
    expectCode(() => applyRosterEntry(states[1]!, raw(states[1]!, { type: 'role', member: A, role: 'facilitator' }, ann)), 'ROSTER_BAD_SIGNER');
  });

  it('refuses an outsider admitting itself (ROSTER_BAD_SIGNER): no ghost members', () => {
    const { states } = build([]);
    expectCode(() => applyRosterEntry(states[0]!, raw(states[0]!, { type: 'admit', member: E }, eve)), 'ROSTER_BAD_SIGNER');
  });

  it('refuses a demoted facilitator signing the next entry (ROSTER_BAD_SIGNER)', () => {
    const { states } = build([
      [{ type: 'admit', member: A }, creator],
      [{ type: 'role', member: A, role: 'facilitator' }, creator],
      [{ type: 'role', member: A, role: 'member' }, creator],
    ]);
    expectCode(() => applyRosterEntry(states[3]!, raw(states[3]!, { type: 'admit', member: B }, ann)), 'ROSTER_BAD_SIGNER');
  });

  it('lets a member leave by itself, but not make another member leave (ROSTER_BAD_SIGNER)', () => {
    const { states } = build([[{ type: 'admit', member: A }, creator], [{ type: 'admit', member: B }, creator]]);
    expect(rosterMember(applyRosterEntry(states[2]!, raw(states[2]!, { type: 'leave', member: A }, ann)), A)).toBeUndefined();
    expectCode(() => applyRosterEntry(states[2]!, raw(states[2]!, { type: 'leave', member: B }, ann)), 'ROSTER_BAD_SIGNER');
    expectCode(() => applyRosterEntry(states[2]!, raw(states[2]!, { type: 'leave', member: E }, eve)), 'ROSTER_BAD_SIGNER');
    expect(rosterMember(applyRosterEntry(states[2]!, raw(states[2]!, { type: 'leave', member: B }, creator)), B)).toBeUndefined();
  });

  it('refuses a removed member signing afterwards (ROSTER_BAD_SIGNER)', () => {
    const { states } = build([
      [{ type: 'admit', member: A }, creator],
      [{ type: 'role', member: A, role: 'facilitator' }, creator],
      [{ type: 'remove', member: A }, creator],
    ]);
    expectCode(() => applyRosterEntry(states[3]!, raw(states[3]!, { type: 'admit', member: A }, ann)), 'ROSTER_BAD_SIGNER');
  });
});

describe('roster: genesis', () => {
  it('must be signed by its creator (ROSTER_BAD_SIGNER), come first (ROSTER_BAD_OP), at epoch 0 with no prev', () => {
    const g = createGenesis(creator, GROUP, POLICY);
    expectCode(() => applyRosterEntry(null, signRosterBody({ ...g.body, signer: E }, eve)), 'ROSTER_BAD_SIGNER');
    expectCode(() => applyRosterEntry(null, signRosterBody({ ...g.body, op: { type: 'admit', member: A } }, creator)), 'ROSTER_BAD_OP');
    expectCode(() => applyRosterEntry(null, signRosterBody({ ...g.body, epoch: 1 }, creator)), 'ROSTER_SKIPPED_EPOCH');
    expectCode(() => applyRosterEntry(null, signRosterBody({ ...g.body, prev: g.body.signer }, creator)), 'ROSTER_BAD_PREV_HASH');
    expectCode(() => applyRosterEntry(null, g, { groupId: OTHER_GROUP }), 'ROSTER_WRONG_GROUP');
    const st = applyRosterEntry(null, g);
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'genesis', creator: C, policy: POLICY }, creator)), 'ROSTER_BAD_OP');
    expectCode(() => createGenesis(creator, GROUP, { ...POLICY, expirySeconds: 0 }), 'MALFORMED');
  });

  it('must match the invite fingerprint (FINGERPRINT_MISMATCH)', () => {
    const g = createGenesis(eve, GROUP, POLICY);
    expectCode(() => verifyRosterChain([g], { creatorFingerprint: fingerprint(C) }), 'FINGERPRINT_MISMATCH');
    expect(verifyRosterChain([g], { creatorFingerprint: fingerprint(E) }).creator).toBe(E);
    expectCode(() => verifyRosterChain([]), 'MALFORMED');
  });
});

describe('roster: epochs and chaining', () => {
  it('refuses a skipped epoch (ROSTER_SKIPPED_EPOCH), a replayed or older one (ROSTER_ROLLBACK), a wrong group', () => {
    const { chain, states } = build([[{ type: 'admit', member: A }, creator], [{ type: 'admit', member: B }, creator]]);
    const st = states[2]!;
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'mute', member: A }, creator, { epoch: st.epoch + 2 })), 'ROSTER_SKIPPED_EPOCH');
    expectCode(() => applyRosterEntry(st, chain[2]), 'ROSTER_ROLLBACK');
    expectCode(() => applyRosterEntry(st, chain[1]), 'ROSTER_ROLLBACK');
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'mute', member: A }, creator, { epoch: st.epoch })), 'ROSTER_ROLLBACK');
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'mute', member: A }, creator, { groupId: OTHER_GROUP })), 'ROSTER_WRONG_GROUP');
    expectCode(() => verifyRosterChain([chain[0], chain[2]]), 'ROSTER_SKIPPED_EPOCH');
    expectCode(() => verifyRosterChain([chain[0], chain[2], chain[1]]), 'ROSTER_SKIPPED_EPOCH');
    expectCode(() => verifyRosterChain([chain[1], chain[2]]), 'ROSTER_SKIPPED_EPOCH');
    expectCode(() => verifyRosterChain(chain, { groupId: OTHER_GROUP }), 'ROSTER_WRONG_GROUP');
  });

  it('refuses an entry that extends another branch (ROSTER_BAD_PREV_HASH)', () => {
    const { states } = build([[{ type: 'admit', member: A }, creator]]);
    const branch = applyRosterEntry(states[0]!, signRosterEntry(states[0]!, { type: 'admit', member: B }, creator));
    const onBranch = signRosterEntry(branch, { type: 'mute', member: B }, creator);
    expectCode(() => applyRosterEntry(states[1]!, onBranch), 'ROSTER_BAD_PREV_HASH');
  });
});

describe('roster: operations refused in the current state (ROSTER_BAD_OP)', () => {
  it('refuses each invalid operation', () => {
    const { states } = build([
      [{ type: 'admit', member: A }, creator],
      [{ type: 'admit', member: B }, creator],
      [{ type: 'mute', member: B }, creator],
      [{ type: 'ban', member: E }, creator],
      [{ type: 'sessionOpen', sessionId: S1 }, creator],
    ]);
    const st = states[5]!;
    const bad: RosterOp[] = [
      { type: 'admit', member: A }, // already a member
      { type: 'admit', member: E }, // banned
      { type: 'remove', member: K }, // not a member
      { type: 'remove', member: C }, // the creator
      { type: 'leave', member: C }, // the creator
      { type: 'ban', member: C }, // the creator
      { type: 'ban', member: E }, // already banned
      { type: 'unban', member: K }, // not banned
      { type: 'role', member: C, role: 'member' }, // demote the creator
      { type: 'role', member: A, role: 'member' }, // unchanged
      { type: 'role', member: K, role: 'facilitator' }, // not a member
      { type: 'mute', member: C }, // the creator
      { type: 'mute', member: B }, // already muted
      { type: 'mute', member: K }, // not a member
      { type: 'unmute', member: A }, // not muted
      { type: 'muteAll', on: false }, // unchanged
      { type: 'lock', on: false }, // unchanged
      { type: 'expiry', expirySeconds: POLICY.expirySeconds }, // unchanged
      { type: 'slowMode', seconds: 0 }, // unchanged
      { type: 'sessionOpen', sessionId: S2 }, // one is open
      { type: 'sessionClose', sessionId: S2 }, // not the open one
    ];
    for (const op of bad) expectCode(() => applyRosterEntry(st, raw(st, op, creator)), 'ROSTER_BAD_OP');

    const closed = applyRosterEntry(st, raw(st, { type: 'sessionClose', sessionId: S1 }, creator));
    expectCode(() => applyRosterEntry(closed, raw(closed, { type: 'sessionClose', sessionId: S1 }, creator)), 'ROSTER_BAD_OP');
    expectCode(() => applyRosterEntry(closed, raw(closed, { type: 'sessionOpen', sessionId: S1 }, creator)), 'ROSTER_BAD_OP'); // reuse
    const locked = applyRosterEntry(closed, raw(closed, { type: 'lock', on: true }, creator));
    expectCode(() => applyRosterEntry(locked, raw(locked, { type: 'admit', member: K }, creator)), 'ROSTER_BAD_OP');
  });
});

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

describe('roster: admit automatically (policy.autoAdmit)', () => {
  it('a facilitator turns it on and off; unchanged is refused; a member cannot sign it; no rekey', () => {
    const { chain, states } = build([
      [{ type: 'admit', member: B }, creator], // 1
      [{ type: 'autoAdmit', on: true }, creator], // 2
      [{ type: 'autoAdmit', on: false }, creator], // 3
    ]);
    expect(states[0]!.policy.autoAdmit).toBeUndefined(); // a genesis without the field: off
    expect(states[2]!.policy.autoAdmit).toBe(true);
    expect(states[3]!.policy.autoAdmit).toBe(false);
    expect(states.map((x) => x.rekeyEpoch)).toEqual([0, 0, 0, 0]);
    expect(verifyRosterChain(chain, { groupId: GROUP })).toEqual(states[3]);
    const st = states[1]!;
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'autoAdmit', on: false }, creator)), 'ROSTER_BAD_OP'); // absent = off
    expectCode(() => applyRosterEntry(st, raw(st, { type: 'autoAdmit', on: true }, bob)), 'ROSTER_BAD_SIGNER');
    expectCode(() => applyRosterEntry(states[2]!, raw(states[2]!, { type: 'autoAdmit', on: true }, creator)), 'ROSTER_BAD_OP');
  });

  it('a genesis may carry it; a lock still refuses every admit', () => {
    const genesis = createGenesis(creator, GROUP, { ...POLICY, autoAdmit: true });
    const st = applyRosterEntry(null, genesis);
    expect(st.policy.autoAdmit).toBe(true);
    const locked = applyRosterEntry(st, raw(st, { type: 'lock', on: true }, creator));
    expectCode(() => applyRosterEntry(locked, raw(locked, { type: 'admit', member: K }, creator)), 'ROSTER_BAD_OP');
  });
});
