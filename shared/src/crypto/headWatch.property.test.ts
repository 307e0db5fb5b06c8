/**
 * Property test over roster histories and delivery orders chosen by a dishonest relay (protocol v2, "Roster head"):
 * a facilitator makes random changes (mutes and unmutes, signed entries); the relay shows each member only a prefix
 * of them, delivers or drops each message and each peer box, and time passes. Members follow headWatch.ts and verify
 * every entry with a real RosterTracker. Then, for any two members that exchanged a message each way, both hold at
 * least every head either of them stated, or one of them holds the withholding warning; and no member ever accepted
 * a message stating a head it did not hold.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SignedRosterEntry } from '../protocol/objects';
import { ASK_PEERS_AFTER_MS, HeadWatch, WITHHELD_AFTER_MS, type Head } from './headWatch';
import { identityFromSeed, memberIdOf } from './identity';
import { applyRosterEntry, createGenesis, signRosterEntry } from './roster';
import { RosterTracker } from './rosterTracker';
import { initCrypto } from './sodium';
import { GROUP, POLICY } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

const N = 4; // the facilitator (0) and three members
let keys: IdentityKeyPair[] = [];
let ids: string[] = [];

beforeAll(async () => {
  await initCrypto();
  keys = Array.from({ length: N }, (_, i) => identityFromSeed(new Uint8Array(32).fill(90 + i)));
  ids = keys.map((k) => memberIdOf(k.publicKey));
});

/** A valid history: genesis, the three admitted, then `flips` mute/unmute changes of member (1 + flip % 3). */
function history(flips: number[]): SignedRosterEntry[] {
  const genesis = createGenesis(keys[0]!, GROUP, POLICY);
  const out = [genesis];
  let s: RosterState = applyRosterEntry(null, genesis);
  const push = (entry: SignedRosterEntry): void => {
    out.push(entry);
    s = applyRosterEntry(s, entry);
  };
  for (let i = 1; i < N; i++) push(signRosterEntry(s, { type: 'admit', member: ids[i]! }, keys[0]!));
  for (const f of flips) {
    const member = ids[1 + (f % (N - 1))]!;
    const muted = s.members.find((m) => m.id === member)!.muted;
    push(signRosterEntry(s, { type: muted ? 'unmute' : 'mute', member }, keys[0]!));
  }
  return out;
}

interface Member {
  tracker: RosterTracker;
  watch: HeadWatch;
  /** How far the relay lets this member read the roster. */
  relayPrefix: number;
}

type Step =
  | { kind: 'message'; from: number; to: number; delivered: boolean; peerBoxDelivered: boolean }
  | { kind: 'relay'; member: number; upTo: number }
  | { kind: 'time'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('message' as const), from: fc.nat(N - 1), to: fc.nat(N - 1), delivered: fc.boolean(), peerBoxDelivered: fc.boolean() }),
  fc.record({ kind: fc.constant('relay' as const), member: fc.nat(N - 1), upTo: fc.nat(12) }),
  fc.record({ kind: fc.constant('time' as const), ms: fc.constantFrom(500, ASK_PEERS_AFTER_MS, WITHHELD_AFTER_MS) }),
);

function run(flips: number[], prefixes: number[], steps: Step[]): void {
  const all = history(flips);
  const base = N; // genesis and the admits: every member starts there
  const members: Member[] = prefixes.map((p) => {
    const tracker = new RosterTracker(GROUP);
    tracker.accept(all.slice(0, base));
    return { tracker, watch: new HeadWatch(), relayPrefix: Math.min(all.length, base + p) };
  });
  // The facilitator made every change: it holds them all (the relay cannot take its own entries from it).
  members[0]!.tracker.accept(all);
  members[0]!.relayPrefix = all.length;
  const head = (m: Member): Head => ({ epoch: m.tracker.epoch, hash: m.tracker.state!.head });
  const hashAt = (m: Member) => (e: number) => m.tracker.hashAt(e);
  const accept = (m: Member, entries: SignedRosterEntry[]): void => {
    m.tracker.accept(entries);
    m.watch.caughtUp(head(m), hashAt(m));
  };
  const fromRelay = (m: Member): void => accept(m, all.slice(0, m.relayPrefix));
  let now = 0;
  /** Directed exchanges: stated heads of every delivered message, by (from, to). */
  const stated = new Map<string, Head[]>();

  const tick = (): void => {
    for (const m of members) {
      for (let due = m.watch.due(now); due !== null; due = m.watch.due(now)) {
        if (due === 'ask-peers') fromRelay(m); // and the peer that stated it, when a later message's box gets through
      }
    }
  };

  for (const st of steps) {
    if (st.kind === 'time') {
      now += st.ms;
      tick();
      continue;
    }
    if (st.kind === 'relay') {
      const m = members[st.member]!;
      m.relayPrefix = Math.max(m.relayPrefix, Math.min(all.length, base + st.upTo));
      continue;
    }
    if (st.from === st.to || !st.delivered) continue;
    const a = members[st.from]!;
    const b = members[st.to]!;
    if (a.watch.withheld) continue; // it sends nothing while withheld
    const h = head(a);
    const verdict = b.watch.observe(head(b), h, ids[st.from]!, now, hashAt(b));
    if (verdict.kind === 'behind' && st.peerBoxDelivered && b.watch.maySendTo(ids[st.from]!, now)) {
      accept(a, b.tracker.entriesAfter(verdict.since)); // in-band: what the sender lacks
    }
    if (verdict.kind === 'ahead') {
      fromRelay(b); // fetch at once
      if (b.watch.proof && st.peerBoxDelivered) accept(b, a.tracker.entriesAfter(b.tracker.epoch)); // asked the peer
    }
    // Accepted (shown) only when the receiver holds the stated head and knows of nothing newer it lacks.
    if (!b.watch.holds(h) && head(b).epoch >= h.epoch) {
      expect(b.tracker.hashAt(h.epoch)).toBe(h.hash);
      const key = `${st.from}>${st.to}`;
      stated.set(key, [...(stated.get(key) ?? []), h]);
    } else {
      expect(b.watch.proof !== null || head(b).epoch < h.epoch).toBe(true);
    }
  }
  // The bounds pass: whoever still lacks a proven head is warned.
  now += WITHHELD_AFTER_MS;
  tick();
  for (const m of members) if (m.watch.proof) expect(m.watch.withheld).toBe(true);

  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      const there = stated.get(`${i}>${j}`) ?? [];
      const back = stated.get(`${j}>${i}`) ?? [];
      if (there.length === 0 || back.length === 0) continue;
      const [a, b] = [members[i]!, members[j]!];
      const needed = Math.max(...[...there, ...back].map((x) => x.epoch));
      const agree = a.tracker.epoch >= needed && b.tracker.epoch >= needed;
      expect(agree || a.watch.withheld || b.watch.withheld).toBe(true);
    }
  }
}

describe('roster heads under a dishonest relay (fast-check)', () => {
  it('members that exchanged messages hold every head either stated, or one of them is warned; nothing is shown ahead of the receiver', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(5), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(8), { minLength: N, maxLength: N }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        (flips, prefixes, steps) => run(flips, prefixes, steps),
      ),
      { seed: 20261205, numRuns: 60 },
    );
  });
});
