/**
 * The short ciphertext buffer that lets a device catch up after a network blip: a ring bounded both by age
 * (the configured TTL, on the relay's own clock: this only bounds the relay's memory, clients expire messages on
 * theirs) and by count. Pruned lazily on every push and read; nothing here ever touches storage.
 */
export class ReconnectBuffer<T> {
  private readonly items: { at: number; item: T }[] = [];

  constructor(
    private readonly ttlMs: number,
    private readonly maxItems: number,
  ) {}

  push(item: T, now: number): void {
    this.items.push({ at: now, item });
    this.prune(now);
  }

  /** Items still within the TTL, oldest first, optionally filtered. */
  read(now: number, keep: (item: T) => boolean = () => true): T[] {
    this.prune(now);
    const out: T[] = [];
    for (const { item } of this.items) if (keep(item)) out.push(item);
    return out;
  }

  get size(): number {
    return this.items.length;
  }

  private prune(now: number): void {
    let drop = Math.max(0, this.items.length - this.maxItems);
    while (drop < this.items.length && now - this.items[drop]!.at > this.ttlMs) drop++;
    if (drop > 0) this.items.splice(0, drop);
  }
}
