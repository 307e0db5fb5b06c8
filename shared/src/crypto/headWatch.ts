/**
 * What a device does with the roster heads others state (protocol v2, docs/PROTOCOL.md part B, "Roster head"): a
 * pure state machine, no timers and no I/O (time is passed in), shared by the engine (client/src/engine/headSync.ts)
 * and the property test that plays a dishonest relay over random roster histories.
 *
 * - A stated head newer than mine is proof that a newer roster exists (it came in a signed header or an
 *   authenticated sealed key). I record the newest such proof and must obtain the entries: from the relay at once,
 *   from peers after ASK_PEERS_AFTER_MS, and if I still lack them after WITHHELD_AFTER_MS I warn ("the server may be
 *   withholding changes to this group") and stop sending until I have them.
 * - While I hold such a proof, I hold every message too (not shown, not refused): I cannot judge a sender against
 *   changes I have not seen. Once the entries arrive they are judged at the stricter of the two heads.
 * - A stated head older than mine means the sender lacks entries: I send them to it (in-band, boxed to its session
 *   key), at most once per PEER_SEND_INTERVAL_MS per peer.
 */
import { KindredError } from '../errors';

/** A roster head: the epoch of the latest entry and its hash. */
export interface Head {
  epoch: number;
  hash: string;
}

/** After this long behind a proven head, ask the peers present (the relay had its chance). */
export const ASK_PEERS_AFTER_MS = 3_000;
/** After this long behind a proven head, warn and stop sending (the stated bound of the withholding warning). */
export const WITHHELD_AFTER_MS = 10_000;
/** At most one in-band send of entries to the same peer per this interval (rate bound of the peer box). */
export const PEER_SEND_INTERVAL_MS = 2_000;

/** What to do about one stated head. */
export type HeadVerdict =
  /** The same head as mine. */
  | { kind: 'same' }
  /** The sender is behind: send it the entries after `since`. */
  | { kind: 'behind'; since: number }
  /** I am behind: a newer roster exists (recorded as proof; fetch it). */
  | { kind: 'ahead' };

export interface Proof {
  head: Head;
  /** Who stated it (the peer to ask first). */
  from: string;
  /** When I first learned I was behind (the bounds count from here; a newer proof does not restart them). */
  since: number;
}

export class HeadWatch {
  #proof: Proof | null = null;
  #withheld = false;
  #asked = false;
  readonly #lastSentTo = new Map<string, number>();

  /** The newest head I know exists and lack, or null. */
  get proof(): Proof | null {
    return this.#proof;
  }

  /** True once WITHHELD_AFTER_MS passed behind a proof: warn, and send nothing until caughtUp clears it. */
  get withheld(): boolean {
    return this.#withheld;
  }

  /**
   * A head `from` stated (verified by the caller: a header after its signature, or an opened sealed key), against
   * mine. A head at my epoch with another hash is a fork (ROSTER_FORK).
   */
  observe(mine: Head, stated: Head, from: string, nowMs: number, hashAt: (epoch: number) => string | undefined): HeadVerdict {
    if (stated.epoch === mine.epoch) {
      if (stated.hash !== mine.hash) throw new KindredError('ROSTER_FORK', 'stated head');
      return { kind: 'same' };
    }
    if (stated.epoch < mine.epoch) {
      const known = hashAt(stated.epoch);
      if (known !== undefined && known !== stated.hash) throw new KindredError('ROSTER_FORK', 'stated head');
      return { kind: 'behind', since: stated.epoch };
    }
    const p = this.#proof;
    if (p && p.head.epoch === stated.epoch && p.head.hash !== stated.hash) throw new KindredError('ROSTER_FORK', 'two heads stated for one epoch');
    if (!p || stated.epoch > p.head.epoch) this.#proof = { head: { ...stated }, from, since: p?.since ?? nowMs };
    return { kind: 'ahead' };
  }

  /**
   * Whether a message stating `stated` must be held before it is even opened: I hold proof of a newer roster than the
   * one it states, so I cannot judge its sender yet. (A head ahead of mine is found by decryptMessage, HEAD_AHEAD,
   * after the signature, and then recorded with observe.)
   */
  holds(stated: Head): boolean {
    return this.#proof !== null && stated.epoch < this.#proof.head.epoch;
  }

  /**
   * What the bounds ask for now: 'ask-peers' once after ASK_PEERS_AFTER_MS, 'withheld' once after WITHHELD_AFTER_MS
   * (the caller warns and stops sending), else null.
   */
  due(nowMs: number): 'ask-peers' | 'withheld' | null {
    const p = this.#proof;
    if (!p) return null;
    if (!this.#withheld && nowMs - p.since >= WITHHELD_AFTER_MS) {
      this.#withheld = true;
      return 'withheld';
    }
    if (!this.#asked && nowMs - p.since >= ASK_PEERS_AFTER_MS) {
      this.#asked = true;
      return 'ask-peers';
    }
    return null;
  }

  /**
   * My roster moved to `mine`: a proof it reaches is cleared (and sending resumes). The entry at the proof's epoch
   * must be the one that was stated (ROSTER_FORK otherwise: someone showed me one roster and the sender another).
   */
  caughtUp(mine: Head, hashAt: (epoch: number) => string | undefined): void {
    const p = this.#proof;
    if (!p || mine.epoch < p.head.epoch) return;
    this.#proof = null;
    this.#withheld = false;
    this.#asked = false;
    if (hashAt(p.head.epoch) !== p.head.hash) throw new KindredError('ROSTER_FORK', 'the stated head differs from the roster obtained');
  }

  /** True when entries may go to `peer` now (and records it): the rate bound of in-band sends. */
  maySendTo(peer: string, nowMs: number): boolean {
    const last = this.#lastSentTo.get(peer);
    if (last !== undefined && nowMs - last < PEER_SEND_INTERVAL_MS) return false;
    this.#lastSentTo.set(peer, nowMs);
    return true;
  }

  /** Forgets everything (session end). */
  reset(): void {
    this.#proof = null;
    this.#withheld = false;
    this.#asked = false;
    this.#lastSentTo.clear();
  }
}
