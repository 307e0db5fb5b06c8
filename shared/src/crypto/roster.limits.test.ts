import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding';
import { isKindredError } from '../errors';
import { identityFromSeed, memberIdOf } from './identity';
import { applyRosterEntry, createGenesis, isFacilitator, MAX_ROSTER_MEMBERS, memberMaySend, rosterMember, signRosterEntry } from './roster';
import { initCrypto } from './sodium';
import { POLICY } from './testkit';
import type { RosterState } from './types';

const GROUP = toBase64Url(new Uint8Array(16).fill(9));

function memberId(i: number): string {
  // Any 32 bytes name a member in the roster; a distinct pattern per index is enough here.
  const pk = new Uint8Array(32);
  new DataView(pk.buffer).setUint32(0, i + 1);
  return toBase64Url(pk);
}

describe('roster size bound', () => {
  beforeAll(initCrypto);

  it(`admits up to MAX_ROSTER_MEMBERS (${MAX_ROSTER_MEMBERS}), enough for a 1,000-member session, and refuses one more`, () => {
    expect(MAX_ROSTER_MEMBERS).toBeGreaterThanOrEqual(1000);
    const creator = identityFromSeed(new Uint8Array(32).fill(3));
    let state: RosterState = applyRosterEntry(null, createGenesis(creator, GROUP, POLICY));
    for (let i = 0; state.members.length < MAX_ROSTER_MEMBERS; i++) {
      state = applyRosterEntry(state, signRosterEntry(state, { type: 'admit', member: memberId(i) }, creator));
    }
    expect(state.members).toHaveLength(MAX_ROSTER_MEMBERS);
    expect(state.members.map((m) => m.id)).toContain(memberIdOf(creator.publicKey));
    try {
      signRosterEntry(state, { type: 'admit', member: memberId(MAX_ROSTER_MEMBERS + 10) }, creator);
      expect.unreachable('the roster is full');
    } catch (e) {
      expect(isKindredError(e, 'ROSTER_BAD_OP')).toBe(true);
    }
  }, 60_000);
});

describe('member lookups in a large roster (indexed per members array)', () => {
  beforeAll(initCrypto);

  it('answer for the state asked about, before and after every kind of change', () => {
    const creator = identityFromSeed(new Uint8Array(32).fill(4));
    let state: RosterState = applyRosterEntry(null, createGenesis(creator, GROUP, POLICY));
    for (let i = 0; i < 40; i++) state = applyRosterEntry(state, signRosterEntry(state, { type: 'admit', member: memberId(i) }, creator));
    const a = memberId(7);
    const b = memberId(30);
    const step = (op: Parameters<typeof signRosterEntry>[1]): RosterState => applyRosterEntry(state, signRosterEntry(state, op, creator));
    // Every lookup of a state is answered from that state, also after later states were made from it.
    expect(memberMaySend(state, a)).toBe(true);
    const muted = step({ type: 'mute', member: a });
    expect([memberMaySend(muted, a), memberMaySend(state, a)]).toEqual([false, true]);
    state = muted;
    const promoted = step({ type: 'role', member: b, role: 'facilitator' });
    expect([isFacilitator(promoted, b), isFacilitator(state, b)]).toEqual([true, false]);
    state = promoted;
    const removed = step({ type: 'remove', member: a });
    expect([rosterMember(removed, a), rosterMember(state, a)?.muted]).toEqual([undefined, true]);
    state = removed;
    const readmitted = step({ type: 'admit', member: a });
    expect(rosterMember(readmitted, a)).toEqual({ id: a, role: 'member', muted: false });
    expect(rosterMember(readmitted, memberId(999))).toBeUndefined();
    // The index agrees with a scan for every member.
    for (const m of readmitted.members) expect(rosterMember(readmitted, m.id)).toBe(m);
  });
});
