/**
 * Property-based test over random roster histories: a generator walks a state, picking one of the operations the
 * rules allow (with an authorised signer), so every history is valid by construction. Then: the verified chain
 * gives the same state; tampering with any one entry is refused; swapping any two entries is refused.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { KindredError } from '../errors';
import type { RosterOp, SignedRosterEntry } from '../protocol/objects';
import { identityFromSeed, memberIdOf } from './identity';
import { applyRosterEntry, createGenesis, signRosterBody, signRosterEntry, verifyRosterChain } from './roster';
import { initCrypto } from './sodium';
import { GROUP, POLICY } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

let pool: IdentityKeyPair[] = [];
let ids: string[] = [];
const keyOf = (id: string): IdentityKeyPair => pool[ids.indexOf(id)]!;

beforeAll(async () => {
  await initCrypto();
  pool = Array.from({ length: 6 }, (_, i) => identityFromSeed(new Uint8Array(32).fill(40 + i)));
  ids = pool.map((k) => memberIdOf(k.publicKey));
});

/** Every (op, signer) the rules allow in `s`: the generator's model, written independently of applyRosterEntry. */
function allowed(s: RosterState, sessionCounter: number): [RosterOp, string][] {
  const out: [RosterOp, string][] = [];
  const facs = s.members.filter((m) => m.role === 'facilitator').map((m) => m.id);
  const isMember = (id: string) => s.members.some((m) => m.id === id);
  const add = (op: RosterOp) => facs.forEach((f) => out.push([op, f]));
  for (const id of ids) {
    const m = s.members.find((x) => x.id === id);
    const banned = s.banned.includes(id);
    if (!m && !banned && !s.locked) add({ type: 'admit', member: id });
    if (banned) add({ type: 'unban', member: id });
    if (id === s.creator) continue;
    if (!banned) add({ type: 'ban', member: id });
    if (!m) continue;
    add({ type: 'remove', member: id });
    out.push([{ type: 'leave', member: id }, id]);
    add({ type: 'role', member: id, role: m.role === 'facilitator' ? 'member' : 'facilitator' });
    add(m.muted ? { type: 'unmute', member: id } : { type: 'mute', member: id });
  }
  add({ type: 'muteAll', on: !s.policy.muteAllButFacilitators });
  add({ type: 'lock', on: !s.locked });
  add({ type: 'expiry', expirySeconds: s.policy.expirySeconds === 3600 ? 60 : 3600 });
  add({ type: 'slowMode', seconds: s.policy.slowModeSeconds === 0 ? 10 : 0 });
  if (s.session?.open) add({ type: 'sessionClose', sessionId: s.session.id });
  else add({ type: 'sessionOpen', sessionId: toBase64Url(new Uint8Array(16).fill(100 + (sessionCounter % 100))) });
  return out.filter(([, signer]) => isMember(signer));
}

function history(choices: number[]): { chain: SignedRosterEntry[]; state: RosterState } {
  const chain = [createGenesis(pool[0]!, GROUP, POLICY)];
  let state = applyRosterEntry(null, chain[0]);
  choices.forEach((c, i) => {
    const options = allowed(state, i);
    const [op, signer] = options[c % options.length]!;
    const e = signRosterEntry(state, op, keyOf(signer));
    chain.push(e);
    state = applyRosterEntry(state, e);
  });
  return { chain, state };
}

function refused(entries: unknown[]): boolean {
  try {
    verifyRosterChain(entries, { groupId: GROUP });
    return false;
  } catch (e) {
    if (e instanceof KindredError) return true;
    throw e;
  }
}

/** One mutation of a signed entry, chosen by `kind`: a body field or a signature bit. Always a real change. */
function tamper(e: SignedRosterEntry, kind: number, bit: number): SignedRosterEntry {
  const b = e.body;
  switch (kind % 5) {
    case 0: {
      const sig = fromBase64Url(e.sig);
      sig[bit % 64]! ^= 1 << (bit % 8);
      return { body: b, sig: toBase64Url(sig) };
    }
    case 1:
      return { body: { ...b, epoch: b.epoch + 1 + (bit % 3) }, sig: e.sig };
    case 2:
      return { body: { ...b, signer: ids.find((id) => id !== b.signer)! }, sig: e.sig };
    case 3:
      return { body: { ...b, op: b.op.type === 'lock' ? { type: 'muteAll', on: b.op.on } : { type: 'lock', on: bit % 2 === 0 } }, sig: e.sig };
    default: {
      // re-signed by an identity that is not the stated signer's: a valid signature by the wrong key
      const other = pool.find((k) => memberIdOf(k.publicKey) !== b.signer)!;
      return { body: b, sig: signRosterBody(b, other).sig };
    }
  }
}

const PARAMS = { seed: 20240611, numRuns: 40 } as const;
const histories = fc.array(fc.nat(), { minLength: 1, maxLength: 14 });

describe('roster property: random valid histories', () => {
  it('verifyRosterChain of the chain gives the state the history built', () => {
    fc.assert(
      fc.property(histories, (choices) => {
        const { chain, state } = history(choices);
        expect(verifyRosterChain(chain, { groupId: GROUP })).toEqual(state);
        expect(state.epoch).toBe(choices.length);
      }),
      PARAMS,
    );
  });

  it('tampering with any one entry is refused', () => {
    fc.assert(
      fc.property(histories, fc.nat(), fc.nat(), fc.nat(), (choices, at, kind, bit) => {
        const { chain } = history(choices);
        const i = at % chain.length;
        const copy = [...chain];
        copy[i] = tamper(chain[i]!, kind, bit);
        expect(refused(copy)).toBe(true);
      }),
      PARAMS,
    );
  });

  it('swapping any two entries is refused', () => {
    fc.assert(
      fc.property(histories, fc.nat(), fc.nat(), (choices, x, y) => {
        const { chain } = history(choices);
        const i = x % chain.length;
        let j = y % chain.length;
        if (i === j) j = (j + 1) % chain.length;
        const copy = [...chain];
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
        expect(refused(copy)).toBe(true);
      }),
      PARAMS,
    );
  });
});
