/**
 * Deletes plaintext on time: one setTimeout per expiry instant (not per message), so a burst of messages costs one
 * timer. Expiry is measured on this device's clock from arrival (SECURITY.md §8), never on the relay's time.
 * Uses the global setTimeout so that tests can drive it with fake timers.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export class ExpiryScheduler {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private nextAt = Infinity;
  private readonly pending: number[] = [];

  /** `onDue(now)` is called at (or just after) each scheduled instant; it deletes whatever is due at `now`. */
  constructor(
    private readonly clock: Clock,
    private readonly onDue: (nowMs: number) => void,
  ) {}

  /** Schedules a deletion at `atMs` (local clock). */
  schedule(atMs: number): void {
    this.pending.push(atMs);
    if (atMs < this.nextAt) this.arm(atMs);
  }

  /** Cancels everything (session end: the state is wiped anyway). */
  clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.nextAt = Infinity;
    this.pending.length = 0;
  }

  private arm(atMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.nextAt = atMs;
    this.timer = setTimeout(() => this.fire(), Math.max(0, atMs - this.clock.now()));
  }

  private fire(): void {
    this.timer = null;
    this.nextAt = Infinity;
    const now = this.clock.now();
    // A timer may fire early by a clock adjustment: keep what is not due yet and re-arm for it.
    const later = this.pending.filter((t) => t > now);
    const due = later.length < this.pending.length;
    this.pending.length = 0;
    this.pending.push(...later);
    if (due) this.onDue(now);
    if (later.length > 0) this.arm(Math.min(...later));
  }
}
