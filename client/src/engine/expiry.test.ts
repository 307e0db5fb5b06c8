import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExpiryScheduler } from './expiry';

describe('ExpiryScheduler', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('fires once per due instant, in order, on the local clock', () => {
    const fired: number[] = [];
    const s = new ExpiryScheduler({ now: () => Date.now() }, (now) => fired.push(now - 1_000_000));
    s.schedule(1_000_000 + 5_000);
    s.schedule(1_000_000 + 1_000);
    s.schedule(1_000_000 + 1_000);
    vi.advanceTimersByTime(999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1_000]);
    vi.advanceTimersByTime(4_000);
    expect(fired).toEqual([1_000, 5_000]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clear() cancels every pending deletion', () => {
    const fired: number[] = [];
    const s = new ExpiryScheduler({ now: () => Date.now() }, (now) => fired.push(now));
    s.schedule(Date.now() + 10);
    s.clear();
    vi.advanceTimersByTime(100);
    expect(fired).toEqual([]);
  });

  it('re-arms when the clock says the instant is not due yet', () => {
    let skew = 0;
    const fired: number[] = [];
    const clock = { now: () => Date.now() + skew };
    const s = new ExpiryScheduler(clock, (now) => fired.push(now));
    const at = clock.now() + 1_000;
    s.schedule(at);
    skew = -500; // the injected clock is set back after scheduling
    vi.advanceTimersByTime(1_000);
    expect(fired).toEqual([]); // the timer ran, but nothing is due on the injected clock
    vi.advanceTimersByTime(500);
    expect(fired).toEqual([at]);
  });
});
