/**
 * What one device has installed in one session, kept past the eviction of chains from the receive state and past a
 * re-entry forced by the relay: for every (sender, keyId) ever installed, the lowest counter that may still be
 * installed (its "floor"), and for every member the newest session-key generation seen. Without it a relay could
 * wait until a chain was evicted (MAX_CHAINS_PER_SENDER newer ones) and re-send the old sealed key and the old
 * ciphertext: the chain would be installed again from its first counter and an expired message shown again.
 *
 * Rules (docs/PROTOCOL.md part B, "Install record"):
 * - a sealed key for a (sender, keyId) the record knows is installed only at a counter at or above the floor
 *   (KEY_REPLAY below it): nothing read once can be read twice, while a sender re-sealing its current chain to a
 *   member who re-entered with a new session key still gets through;
 * - when a chain leaves the receive state (eviction, pruning, wipe), its floor becomes its next counter;
 * - at most MAX_INSTALLED_PER_SENDER keys per sender and MAX_INSTALLED_KEYS in all: a new key beyond either is
 *   refused (KEY_LIMIT). Refusing is safer than forgetting: a forgotten entry would re-open the replay.
 * - a member's session key must carry a generation at least the newest seen, and the same generation always the same
 *   key (KEY_REPLAY otherwise): an old session key cannot be passed off as the member's current one.
 * No secrets in it: key ids, counters, generations and public keys.
 */
import { KindredError } from '../errors';

/** Sender keys recorded per sender in one session (a chain per rekey, re-entry, 30 minutes or 1000 messages). */
export const MAX_INSTALLED_PER_SENDER = 256;
/** Sender keys recorded in one session in all. */
export const MAX_INSTALLED_KEYS = 16_384;
/** Members whose session-key generation is recorded (twice the roster's member cap: members and knockers). */
export const MAX_RECORDED_MEMBERS = 2048;

/**
 * An install record as plain data (ids, counters, generations, public keys: no secret), for a tab that keeps its place
 * across a reload (the web client's sessionStorage). `InstallRecord.fromData` takes it back under the same bounds.
 */
export interface InstallRecordData {
  floors: [sender: string, keyId: string, floor: number][];
  generations: [member: string, generation: number, sessionPk: string][];
}

export class InstallRecord {
  readonly groupId: string;
  readonly sessionId: string;
  /** `${sender} ${keyId}` → lowest counter that may still be installed. */
  readonly #floors = new Map<string, number>();
  readonly #perSender = new Map<string, number>();
  readonly #generations = new Map<string, { generation: number; sessionPk: string }>();

  constructor(groupId: string, sessionId: string) {
    this.groupId = groupId;
    this.sessionId = sessionId;
  }

  /**
   * Takes back what `toData` gave, through `admit`, `retire` and `noteSessionKey`: the bounds hold (KEY_LIMIT) and two
   * entries for one key keep the higher floor, so stored data can only make the record stricter than a fresh one.
   */
  static fromData(groupId: string, sessionId: string, data: InstallRecordData): InstallRecord {
    const record = new InstallRecord(groupId, sessionId);
    for (const [sender, keyId, floor] of data.floors) {
      if (record.floorOf(sender, keyId) === undefined) record.admit(sender, keyId, floor);
      else record.retire(sender, keyId, floor);
    }
    for (const [member, generation, sessionPk] of data.generations) record.noteSessionKey(member, generation, sessionPk);
    return record;
  }

  toData(): InstallRecordData {
    return {
      floors: [...this.#floors].map(([k, floor]) => {
        const [sender = '', keyId = ''] = k.split(' ');
        return [sender, keyId, floor];
      }),
      generations: [...this.#generations].map(([member, g]) => [member, g.generation, g.sessionPk]),
    };
  }

  get size(): number {
    return this.#floors.size;
  }

  /**
   * Called before a sealed key (not currently installed) is installed at `counter`. KEY_REPLAY below the recorded
   * floor; KEY_LIMIT for a key the record cannot take any more. Records the key (its floor is `counter` for now).
   */
  admit(sender: string, keyId: string, counter: number): void {
    const k = `${sender} ${keyId}`;
    const floor = this.#floors.get(k);
    if (floor !== undefined) {
      if (counter < floor) throw new KindredError('KEY_REPLAY', `sender key ${keyId} at counter ${counter}, already read to ${floor}`);
      return;
    }
    const mine = this.#perSender.get(sender) ?? 0;
    if (mine >= MAX_INSTALLED_PER_SENDER || this.#floors.size >= MAX_INSTALLED_KEYS) throw new KindredError('KEY_LIMIT', 'sender key');
    this.#floors.set(k, counter);
    this.#perSender.set(sender, mine + 1);
  }

  /** A chain left the receive state at `nextCounter`: it may never be installed below it again. */
  retire(sender: string, keyId: string, nextCounter: number): void {
    const k = `${sender} ${keyId}`;
    const floor = this.#floors.get(k);
    if (floor !== undefined && nextCounter > floor) this.#floors.set(k, nextCounter);
  }

  /** The floor of a recorded key (undefined if never installed). */
  floorOf(sender: string, keyId: string): number | undefined {
    return this.#floors.get(`${sender} ${keyId}`);
  }

  /**
   * Called with a verified session key of `member`: KEY_REPLAY when its generation is older than the newest seen, or
   * equal with another key. Returns true when it is newer than anything seen (or the first).
   */
  noteSessionKey(member: string, generation: number, sessionPk: string): boolean {
    const seen = this.#generations.get(member);
    if (seen) {
      if (generation < seen.generation) throw new KindredError('KEY_REPLAY', `session key generation ${generation} after ${seen.generation}`);
      if (generation === seen.generation) {
        if (sessionPk !== seen.sessionPk) throw new KindredError('KEY_REPLAY', 'two session keys of one generation');
        return false;
      }
    } else if (this.#generations.size >= MAX_RECORDED_MEMBERS) {
      throw new KindredError('KEY_LIMIT', 'session keys');
    }
    this.#generations.set(member, { generation, sessionPk });
    return true;
  }
}
