/**
 * The relay's copy of one group's roster, a RosterTracker from the protocol core: verified exactly as clients
 * verify it (signature, epoch, previous hash, the signer's authority in the previous state, the op's rules, forks).
 * The relay holds it only to enforce membership and moderation; clients never take its word for it.
 */
import { RosterTracker, applyRosterEntry } from '@kindred/shared/crypto';
import type { RosterState } from '@kindred/shared/crypto';
import type { SignedRosterEntry } from '@kindred/shared/protocol';
import { KindredError } from '@kindred/shared/errors';

export class RosterChain {
  private constructor(private readonly tracker: RosterTracker) {}

  /** Verifies a whole chain from genesis (storage is not trusted either). */
  static fromEntries(groupId: string, entries: readonly SignedRosterEntry[]): RosterChain {
    if (entries.length === 0) throw new KindredError('NOT_FOUND', 'no roster');
    const tracker = new RosterTracker(groupId);
    tracker.acceptHead(entries);
    return new RosterChain(tracker);
  }

  /** Verifies a genesis entry (group id, the creator's own signature). */
  static fromGenesis(genesis: SignedRosterEntry, groupId: string): RosterChain {
    return RosterChain.fromEntries(groupId, [genesis]);
  }

  get state(): RosterState {
    const state = this.tracker.state;
    if (!state) throw new KindredError('INTERNAL', 'roster without genesis');
    return state;
  }

  get epoch(): number {
    return this.tracker.epoch;
  }

  /** The state after `entry`, without accepting it (the relay stores it first). Throws the protocol's codes. */
  check(entry: SignedRosterEntry): RosterState {
    return applyRosterEntry(this.state, entry, { groupId: this.tracker.groupId });
  }

  /** Accepts entries that extend the chain (all or nothing; verified again by the tracker). */
  accept(entries: readonly SignedRosterEntry[]): SignedRosterEntry[] {
    return this.tracker.accept(entries);
  }

  /** Entries with epoch > sinceEpoch (sinceEpoch -1: the whole chain). */
  since(sinceEpoch: number): SignedRosterEntry[] {
    return this.tracker.entriesAfter(sinceEpoch);
  }
}
