/**
 * The short ciphertext buffer that lets a device catch up after a network blip: a queue bounded both by age
 * (the configured TTL, on the relay's own clock: this only bounds the relay's memory, clients expire messages on
 * theirs) and by count. Pruned lazily on every push and read; nothing here ever touches storage.
 *
 * Push and prune are O(1) amortized: the oldest items are dropped by moving a head index, and the arrays are
 * compacted only once the dropped part is at least as long as the kept part (a hot session at its bound would
 * otherwise shift the whole array on every message).
 */
const COMPACT_AFTER = 64;

export class ReconnectBuffer<T> {
  private items: T[] = [];
  private times: number[] = [];
  private head = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxItems: number,
  ) {}

  push(item: T, now: number): void {
    this.items.push(item);
    this.times.push(now);
    this.prune(now);
  }

  /** Items still within the TTL, oldest first, optionally filtered. */
  read(now: number, keep: (item: T) => boolean = () => true): T[] {
    this.prune(now);
    const out: T[] = [];
    for (let i = this.head; i < this.items.length; i++) if (keep(this.items[i]!)) out.push(this.items[i]!);
    return out;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  private prune(now: number): void {
    const end = this.items.length;
    let head = Math.max(this.head, end - this.maxItems);
    while (head < end && now - this.times[head]! > this.ttlMs) head++;
    if (head === this.head) return;
    // Let go of the dropped items at once (they may be large), then compact when it pays.
    this.items.fill(undefined as T, this.head, head);
    this.head = head;
    if (head >= COMPACT_AFTER && head * 2 >= end) {
      this.items = this.items.slice(head);
      this.times = this.times.slice(head);
      this.head = 0;
    }
  }
}
