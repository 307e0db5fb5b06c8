/**
 * The next session in the interface: the facilitator's `datetime-local` entry turned into the card's field (an instant
 * and the offset it was typed in), and that instant shown to a member in their own time zone.
 */
import type { NextSession } from '@kindred/shared/protocol';

/** "2026-12-12T19:00" read in this browser's zone, or null when it is not a valid date and time. */
export function nextSessionFromInput(value: string, durationMinutes: number): NextSession | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const local = new Date(year, month - 1, day, hour, minute);
  if (Number.isNaN(local.getTime()) || local.getMonth() !== month - 1) return null;
  return { startsAt: local.getTime(), utcOffsetMinutes: -local.getTimezoneOffset(), durationMinutes };
}

/** The instant as a `datetime-local` value in this browser's zone (to show what is set). */
export function inputValueOf(startsAt: number): string {
  const d = new Date(startsAt);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** "Saturday, 12 December 2026 at 19:00 CET" (weekday, date, time and zone, in the reader's locale and zone). */
export function describeMeetingTime(startsAt: number, opts: { locale?: string; timeZone?: string } = {}): string {
  return new Intl.DateTimeFormat(opts.locale, {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZoneName: 'short',
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
  }).format(new Date(startsAt));
}

/** Still to come (or under way): a session that has ended is no longer "next". */
export function isUpcoming(next: NextSession, now: number): boolean {
  return next.startsAt + next.durationMinutes * 60_000 > now;
}
