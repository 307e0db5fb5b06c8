/**
 * Sealed sender keys on their way to their recipients, coalesced: every key handed over during one turn of the
 * event loop goes out in one `keys.sealed` push per recipient (in pushes of at most MAX_SEALED_PER_PUSH keys)
 * when the turn ends, instead of one push per key. After a removal every member of a session rekeys at once and
 * sends a key to every other, (N−1)(N−2) keys: with a push per key that was a frame, an encode and a socket write
 * for each, and in a session of 1,000 about a million of them (docs/BENCHMARKS.md, finding 2).
 *
 * Order: a message must not overtake the key it is encrypted under, so the relay flushes the outbox before every
 * message it relays (`flush()` is cheap when it holds nothing).
 */
import { MAX_SEALED_PER_PUSH, type SealedSenderKey } from '@kindred/shared/protocol';

export class SealedOutbox {
  private pending = new Map<string, SealedSenderKey[]>();
  private scheduled = false;

  /** `emit(room, keys)` pushes one batch to one member's room; `defer` runs the flush when the turn ends. */
  constructor(
    private readonly emit: (room: string, sealed: SealedSenderKey[]) => void,
    private readonly defer: (flush: () => void) => void = (flush) => void setImmediate(flush),
  ) {}

  /** Queues `sealed` for the sockets of `room`; it leaves when this turn of the event loop ends, or at a flush. */
  add(room: string, sealed: SealedSenderKey): void {
    const list = this.pending.get(room);
    if (list) list.push(sealed);
    else this.pending.set(room, [sealed]);
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(() => this.flush());
    }
  }

  /** Pushes everything queued, now. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const pending = this.pending;
    this.pending = new Map();
    for (const [room, list] of pending) {
      for (let i = 0; i < list.length; i += MAX_SEALED_PER_PUSH) this.emit(room, list.slice(i, i + MAX_SEALED_PER_PUSH));
    }
  }
}
