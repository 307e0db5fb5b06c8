/**
 * Per-connection flood control: a token bucket (refilled at `rate` per second up to `burst`). The cap on the size of
 * one event is the dispatcher's (dispatcher.ts: the bytes of the packet that carried it, checked before the schema
 * runs); Socket.IO's maxHttpBufferSize cuts a frame far beyond it before it is even parsed.
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
