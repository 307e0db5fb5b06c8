/**
 * Per-connection flood control: a token bucket (refilled at `rate` per second up to `burst`). The cap on the
 * serialized size of one event is jsonSize.ts (Socket.IO's maxHttpBufferSize bounds a whole packet before parsing;
 * that bound is per event, checked before the schema runs).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the connection is over its rate. */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
