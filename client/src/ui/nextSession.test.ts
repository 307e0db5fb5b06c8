import { describe, expect, it } from 'vitest';
import { describeMeetingTime, inputValueOf, isUpcoming, nextSessionFromInput } from './nextSession';

describe('the next session in the interface', () => {
  it('reads the facilitator\'s local entry as an instant with the offset it was typed in, and shows it back', () => {
    const next = nextSessionFromInput('2026-12-12T19:00', 90)!;
    expect(next.durationMinutes).toBe(90);
    expect(next.utcOffsetMinutes).toBe(-new Date(next.startsAt).getTimezoneOffset());
    expect(next.startsAt % 60_000).toBe(0);
    expect(inputValueOf(next.startsAt)).toBe('2026-12-12T19:00');
    for (const bad of ['', '2026-12-12', '2026-02-30T10:00', '2026-12-12T19:00:30', 'tomorrow']) expect(nextSessionFromInput(bad, 60)).toBeNull();
  });

  it('shows weekday, date and time in the reader\'s own zone', () => {
    const at = Date.UTC(2026, 11, 12, 18, 0);
    const utc = describeMeetingTime(at, { locale: 'en-GB', timeZone: 'UTC' });
    for (const part of ['Saturday', '12', 'December', '2026', '18:00', 'UTC']) expect(utc).toContain(part);
    const tokyo = describeMeetingTime(at, { locale: 'en-GB', timeZone: 'Asia/Tokyo' });
    for (const part of ['Sunday', '13', '03:00']) expect(tokyo).toContain(part);
  });

  it('a session that has ended is no longer upcoming', () => {
    const next = { startsAt: 1_000_000 * 60_000, utcOffsetMinutes: 0, durationMinutes: 60 };
    expect(isUpcoming(next, next.startsAt - 1)).toBe(true);
    expect(isUpcoming(next, next.startsAt + 59 * 60_000)).toBe(true);
    expect(isUpcoming(next, next.startsAt + 60 * 60_000)).toBe(false);
  });
});
