import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding';
import { isKindredError } from '../errors';
import { identityFromSeed, memberIdOf } from './identity';
import { applyRosterEntry, createGenesis, MAX_ROSTER_MEMBERS, signRosterEntry } from './roster';
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
