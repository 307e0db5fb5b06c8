/**
 * One group's roster as a device (or the relay) knows it: the accepted chain, the hash of every epoch (message
 * headers name an (epoch, rosterHash) pair) and the current state. It only ever grows by entries that
 * applyRosterEntry accepts; a second, different entry for a known epoch is a fork, and a chain offered as "the
 * current roster" that ends before ours is a rollback. No I/O: serialize() / restore() and the RosterStorage
 * interface let the caller keep it wherever it likes, and restore re-verifies everything it is given.
 */
import { KindredError } from '../errors';
import { SignedRosterEntry } from '../protocol/objects';
import type { RosterHead } from '../protocol/vault';
import { requireFingerprint } from './identity';
import { applyRosterEntry, rosterEntryHash } from './roster';
import type { RosterState } from './types';

/** How many recent states stateAt() can return (the current one and 15 before it); hashes are kept for all. */
export const ROSTER_STATE_WINDOW = 16;

export interface SerializedRoster {
  v: 1;
  groupId: string;
  creatorFingerprint?: string;
  entries: SignedRosterEntry[];
}

/** Where the caller keeps serialized rosters (IndexedDB, SQLite...). The tracker itself does no I/O. */
export interface RosterStorage {
  loadRoster(groupId: string): unknown | Promise<unknown>;
  saveRoster(groupId: string, data: SerializedRoster): void | Promise<void>;
}

export class RosterTracker {
  readonly groupId: string;
  readonly creatorFingerprint: string | undefined;
  #entries: SignedRosterEntry[] = [];
  #hashes: string[] = [];
  /** States of the last ROSTER_STATE_WINDOW epochs, oldest first. */
  #states: RosterState[] = [];

  constructor(groupId: string, creatorFingerprint?: string) {
    this.groupId = groupId;
    this.creatorFingerprint = creatorFingerprint;
  }

  /** The current state, or null before genesis was accepted. */
  get state(): RosterState | null {
    return this.#states[this.#states.length - 1] ?? null;
  }

  /** The current epoch, -1 before genesis. */
  get epoch(): number {
    return this.#entries.length - 1;
  }

  /** Hash of the accepted entry at `epoch`, if known. */
  hashAt(epoch: number): string | undefined {
    return Number.isInteger(epoch) && epoch >= 0 ? this.#hashes[epoch] : undefined;
  }

  /** The state right after `epoch`, for the last ROSTER_STATE_WINDOW epochs (undefined before that). */
  stateAt(epoch: number): RosterState | undefined {
    const first = this.#entries.length - this.#states.length;
    return Number.isInteger(epoch) && epoch >= first ? this.#states[epoch - first] : undefined;
  }

  /** Accepted entries after `epoch` (all of them for -1): what a peer behind us needs. */
  entriesAfter(epoch: number): SignedRosterEntry[] {
    return this.#entries.slice(Math.max(0, epoch + 1));
  }

  /**
   * Accepts entries in epoch order. Entries at epochs already known must be identical (same hash) to ours, else
   * ROSTER_FORK; the others must extend the chain (applyRosterEntry's codes). All or nothing: on any error the
   * tracker is unchanged. Returns the entries newly applied.
   */
  accept(entries: readonly unknown[]): SignedRosterEntry[] {
    if (!Array.isArray(entries)) throw new KindredError('MALFORMED', 'roster entries');
    const newEntries: SignedRosterEntry[] = [];
    const newHashes: string[] = [];
    const newStates: RosterState[] = [];
    let state = this.state;
    for (const raw of entries) {
      const parsed = SignedRosterEntry.safeParse(raw);
      if (!parsed.success) throw new KindredError('MALFORMED', 'roster entry', { cause: parsed.error });
      const entry = parsed.data;
      if (entry.body.groupId !== this.groupId) throw new KindredError('ROSTER_WRONG_GROUP');
      const known = this.#hashes[entry.body.epoch] ?? newHashes[entry.body.epoch - this.#hashes.length];
      if (known !== undefined) {
        if (rosterEntryHash(entry) !== known) throw new KindredError('ROSTER_FORK', `epoch ${entry.body.epoch}`);
        continue;
      }
      state = applyRosterEntry(state, entry, { groupId: this.groupId });
      if (state.epoch === 0 && this.creatorFingerprint !== undefined) requireFingerprint(state.creator, this.creatorFingerprint);
      newEntries.push(entry);
      newHashes.push(state.head);
      newStates.push(state);
    }
    this.#entries.push(...newEntries);
    this.#hashes.push(...newHashes);
    this.#states = [...this.#states, ...newStates].slice(-ROSTER_STATE_WINDOW);
    return newEntries;
  }

  /**
   * Accepts a chain offered as the group's current roster (on join or reconnect). Besides accept()'s checks: an
   * empty chain is MALFORMED and a chain whose last entry is older than our head is ROSTER_ROLLBACK, even when it
   * agrees with what we have (checked after the fork check, so a fork is reported as such). `atLeast` is a head the
   * chain must reach and contain (checkAgainstHead).
   */
  acceptHead(entries: readonly unknown[], atLeast?: RosterHead): SignedRosterEntry[] {
    if (!Array.isArray(entries) || entries.length === 0) throw new KindredError('MALFORMED', 'empty roster chain');
    const ourEpoch = this.epoch;
    const last = SignedRosterEntry.safeParse(entries[entries.length - 1]);
    if (!last.success) throw new KindredError('MALFORMED', 'roster entry', { cause: last.error });
    if (last.data.body.epoch < ourEpoch) {
      this.checkAgainstKnown(entries);
      throw new KindredError('ROSTER_ROLLBACK', `offered epoch ${last.data.body.epoch}, have ${ourEpoch}`);
    }
    if (atLeast) this.checkAgainstHead(entries, last.data.body.epoch, atLeast);
    return this.accept(entries);
  }

  /**
   * A head this device was given out of band (the invite link's): the offered chain must reach it (ROSTER_ROLLBACK
   * otherwise) and hold exactly that hash at that epoch (ROSTER_FORK otherwise). Checked before anything is applied.
   */
  private checkAgainstHead(entries: readonly unknown[], lastEpoch: number, head: RosterHead): void {
    this.checkAgainstKnown(entries);
    let atHead: string | undefined = this.#hashes[head.epoch];
    for (const raw of entries) {
      const parsed = SignedRosterEntry.safeParse(raw);
      if (parsed.success && parsed.data.body.epoch === head.epoch) atHead = rosterEntryHash(parsed.data);
    }
    if (atHead !== undefined && atHead !== head.hash) throw new KindredError('ROSTER_FORK', `epoch ${head.epoch} differs from the invite's head`);
    if (lastEpoch < head.epoch) throw new KindredError('ROSTER_ROLLBACK', `offered epoch ${lastEpoch}, the invite was made at ${head.epoch}`);
    if (atHead === undefined) throw new KindredError('MALFORMED', 'roster chain does not cover the head');
  }

  /** Fork check only, for entries at known epochs. */
  private checkAgainstKnown(entries: readonly unknown[]): void {
    for (const raw of entries) {
      const parsed = SignedRosterEntry.safeParse(raw);
      if (!parsed.success) throw new KindredError('MALFORMED', 'roster entry', { cause: parsed.error });
      const known = this.#hashes[parsed.data.body.epoch];
      if (known !== undefined && rosterEntryHash(parsed.data) !== known) throw new KindredError('ROSTER_FORK', `epoch ${parsed.data.body.epoch}`);
    }
  }

  serialize(): SerializedRoster {
    const out: SerializedRoster = { v: 1, groupId: this.groupId, entries: [...this.#entries] };
    if (this.creatorFingerprint !== undefined) out.creatorFingerprint = this.creatorFingerprint;
    return out;
  }

  /**
   * Rebuilds a tracker from serialized data, re-verifying the whole chain (storage is not trusted either).
   * `groupId` and `creatorFingerprint` come from the caller (the invite link), not from the data: MALFORMED if the
   * data names another group, FINGERPRINT_MISMATCH if it names another creator.
   */
  static restore(data: unknown, groupId: string, creatorFingerprint?: string): RosterTracker {
    const d = data as Partial<SerializedRoster> | null;
    if (typeof d !== 'object' || d === null || d.v !== 1 || d.groupId !== groupId || !Array.isArray(d.entries)) {
      throw new KindredError('MALFORMED', 'serialized roster');
    }
    if (creatorFingerprint !== undefined && d.creatorFingerprint !== undefined && d.creatorFingerprint !== creatorFingerprint) {
      throw new KindredError('FINGERPRINT_MISMATCH');
    }
    const tracker = new RosterTracker(groupId, creatorFingerprint ?? d.creatorFingerprint);
    tracker.accept(d.entries);
    return tracker;
  }

  async save(storage: RosterStorage): Promise<void> {
    await storage.saveRoster(this.groupId, this.serialize());
  }

  /** Loads and re-verifies; a group never stored gives an empty tracker. */
  static async load(storage: RosterStorage, groupId: string, creatorFingerprint?: string): Promise<RosterTracker> {
    const data = await storage.loadRoster(groupId);
    return data === undefined || data === null ? new RosterTracker(groupId, creatorFingerprint) : RosterTracker.restore(data, groupId, creatorFingerprint);
  }
}
