/**
 * Per-connection flood control: a token bucket (refilled at `rate` per second up to `burst`) and a cap on the
 * serialized size of one event. Socket.IO's maxHttpBufferSize bounds a whole packet before parsing; this bound is
 * per event and per feature, checked before the schema runs.
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

/** Serialized size in bytes of one request as JSON, or Infinity if it cannot be serialized. */
export function serializedSize(request: unknown): number {
  try {
    const text = JSON.stringify(request);
    return text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
