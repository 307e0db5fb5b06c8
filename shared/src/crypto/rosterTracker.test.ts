import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding';
import type { SignedRosterEntry } from '../protocol/objects';
import { fingerprint, memberIdOf } from './identity';
import { applyRosterEntry, createGenesis, rosterEntryHash, signRosterEntry } from './roster';
import { RosterTracker, ROSTER_STATE_WINDOW, type RosterStorage, type SerializedRoster } from './rosterTracker';
import { initCrypto } from './sodium';
import { expectCode, GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

let creator: IdentityKeyPair, eve: IdentityKeyPair;
let A: string, B: string, K: string;

beforeAll(async () => {
  await initCrypto();
  creator = seededIdentity(1);
  eve = seededIdentity(5);
  [A, B, K] = [2, 3, 4].map((i) => memberIdOf(seededIdentity(i).publicKey)) as [string, string, string];
});

/** genesis, admit A, admit B, admit K: four entries. */
function chain(): { entries: SignedRosterEntry[]; states: RosterState[] } {
  const entries = [createGenesis(creator, GROUP, POLICY)];
  const states = [applyRosterEntry(null, entries[0])];
  for (const m of [A, B, K]) {
    const e = signRosterEntry(states[states.length - 1]!, { type: 'admit', member: m }, creator);
    entries.push(e);
    states.push(applyRosterEntry(states[states.length - 1]!, e));
  }
  return { entries, states };
}

describe('RosterTracker', () => {
  it('accepts a chain in pieces, ignores duplicates, and knows every hash', () => {
    const { entries, states } = chain();
    const t = new RosterTracker(GROUP, fingerprint(creator.publicKey));
    expect(t.state).toBeNull();
    expect(t.epoch).toBe(-1);
    expect(t.accept(entries.slice(0, 2))).toEqual(entries.slice(0, 2));
    expect(t.accept(entries.slice(0, 3))).toEqual([entries[2]]); // overlap: known entries are skipped
    expect(t.accept([entries[3], entries[3]])).toEqual([entries[3]]); // a duplicate in one batch too
    expect(t.accept(entries)).toEqual([]);
    expect(t.state).toEqual(states[3]);
    expect(t.epoch).toBe(3);
    entries.forEach((e, i) => expect(t.hashAt(i)).toBe(rosterEntryHash(e)));
    expect(t.hashAt(4)).toBeUndefined();
    expect(t.hashAt(-1)).toBeUndefined();
    expect(t.stateAt(1)).toEqual(states[1]);
    expect(t.entriesAfter(1)).toEqual(entries.slice(2));
    expect(t.entriesAfter(-1)).toEqual(entries);
  });

  it('refuses a fork (ROSTER_FORK) and is left unchanged', () => {
    const { entries, states } = chain();
    const t = new RosterTracker(GROUP);
    t.accept(entries.slice(0, 3));
    const fork = signRosterEntry(states[1]!, { type: 'admit', member: K }, creator); // another epoch-2 entry
    expectCode(() => t.accept([fork]), 'ROSTER_FORK');
    expectCode(() => t.acceptHead([entries[0], entries[1], fork]), 'ROSTER_FORK');
    // all or nothing: a valid entry before the fork in the same batch is not kept
    expectCode(() => t.accept([entries[3], { ...entries[2], sig: fork.sig }]), 'ROSTER_FORK');
    expect(t.epoch).toBe(2);
    expect(t.state).toEqual(states[2]);
  });

  it('refuses a chain offered as current that ends before ours (ROSTER_ROLLBACK)', () => {
    const { entries } = chain();
    const t = new RosterTracker(GROUP);
    t.accept(entries);
    expectCode(() => t.acceptHead(entries.slice(0, 3)), 'ROSTER_ROLLBACK');
    expectCode(() => t.acceptHead([]), 'MALFORMED');
    expect(t.acceptHead(entries)).toEqual([]); // the same head is fine
  });

  it('refuses a skipped epoch, another group, another creator', () => {
    const { entries } = chain();
    const t = new RosterTracker(GROUP);
    expectCode(() => t.accept([entries[1]]), 'ROSTER_SKIPPED_EPOCH');
    t.accept([entries[0]]);
    expectCode(() => t.accept([entries[2]]), 'ROSTER_SKIPPED_EPOCH');
    expectCode(() => new RosterTracker(toBase64Url(new Uint8Array(16).fill(9))).accept(entries), 'ROSTER_WRONG_GROUP');
    expectCode(() => new RosterTracker(GROUP, fingerprint(eve.publicKey)).accept(entries), 'FINGERPRINT_MISMATCH');
  });

  it('keeps states only for the last ROSTER_STATE_WINDOW epochs, hashes for all', () => {
    const t = new RosterTracker(GROUP);
    t.accept([createGenesis(creator, GROUP, POLICY)]);
    for (let i = 0; i < ROSTER_STATE_WINDOW + 4; i++) t.accept([signRosterEntry(t.state!, { type: 'lock', on: i % 2 === 0 }, creator)]);
    expect(t.stateAt(0)).toBeUndefined();
    expect(t.stateAt(t.epoch)).toEqual(t.state);
    expect(t.stateAt(t.epoch - ROSTER_STATE_WINDOW + 1)?.epoch).toBe(t.epoch - ROSTER_STATE_WINDOW + 1);
    expect(t.hashAt(0)).toBeDefined();
  });

  it('serializes, restores with full re-verification, and loads from a caller-supplied store', async () => {
    const { entries, states } = chain();
    const t = new RosterTracker(GROUP, fingerprint(creator.publicKey));
    t.accept(entries);
    const data = JSON.parse(JSON.stringify(t.serialize())) as SerializedRoster;
    const r = RosterTracker.restore(data, GROUP, fingerprint(creator.publicKey));
    expect(r.state).toEqual(states[3]);
    expect(r.hashAt(2)).toBe(t.hashAt(2));

    const tampered = clone(data);
    tampered.entries[2]!.body.op = { type: 'admit', member: K };
    expectCode(() => RosterTracker.restore(tampered, GROUP), 'BAD_SIGNATURE');
    expectCode(() => RosterTracker.restore(data, toBase64Url(new Uint8Array(16).fill(9))), 'MALFORMED');
    expectCode(() => RosterTracker.restore(data, GROUP, fingerprint(eve.publicKey)), 'FINGERPRINT_MISMATCH');
    expectCode(() => RosterTracker.restore({ ...data, creatorFingerprint: undefined }, GROUP, fingerprint(eve.publicKey)), 'FINGERPRINT_MISMATCH');

    const db = new Map<string, unknown>();
    const storage: RosterStorage = {
      loadRoster: async (g) => db.get(g),
      saveRoster: async (g, d) => void db.set(g, JSON.parse(JSON.stringify(d))),
    };
    expect((await RosterTracker.load(storage, GROUP)).state).toBeNull();
    await t.save(storage);
    expect((await RosterTracker.load(storage, GROUP)).state).toEqual(states[3]);
  });

  it("refuses a chain older than an invite's head (ROSTER_ROLLBACK) or without its hash (ROSTER_FORK), before applying anything", () => {
    const { entries, states } = chain();
    const head = { epoch: 2, hash: rosterEntryHash(entries[2]!) };
    const fresh = () => new RosterTracker(GROUP, fingerprint(creator.publicKey));
    // A newcomer with nothing stored: the chain cut before the head, whole or in a prefix that agrees.
    for (const cut of [1, 2]) {
      const t = fresh();
      expectCode(() => t.acceptHead(entries.slice(0, cut), head), 'ROSTER_ROLLBACK');
      expect(t.epoch).toBe(-1);
    }
    // Another entry at the head's epoch: a fork, even when the chain goes further.
    const fork = signRosterEntry(states[1]!, { type: 'admit', member: K }, creator);
    const forked = [entries[0]!, entries[1]!, fork, signRosterEntry(applyRosterEntry(states[1]!, fork), { type: 'admit', member: B }, creator)];
    const t = fresh();
    expectCode(() => t.acceptHead(forked, head), 'ROSTER_FORK');
    expect(t.epoch).toBe(-1);
    // A tracker that already holds another entry at the head's epoch reports the fork too.
    const holder = fresh();
    holder.accept(forked.slice(0, 3));
    expectCode(() => holder.acceptHead(forked, head), 'ROSTER_FORK');
    // A chain that reaches the head and holds it, or goes beyond it, is accepted.
    expect(fresh().acceptHead(entries.slice(0, 3), head)).toHaveLength(3);
    const later = fresh();
    expect(later.acceptHead(entries, head)).toHaveLength(4);
    // A later fetch that starts after the head is checked against what the tracker knows.
    expect(later.acceptHead(entries.slice(3), head)).toEqual([]);
    expectCode(() => fresh().acceptHead(entries.slice(3), head), 'MALFORMED');
  });
});

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}
