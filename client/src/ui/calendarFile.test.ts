import { describe, expect, it } from 'vitest';
import { calendarFile, escapeText, foldLine, utcDateTime } from './calendarFile';

const EVENT = { uid: 'a1b2c3@kindred', stampMs: Date.UTC(2026, 11, 5, 21, 41, 7, 250), startMs: Date.UTC(2026, 11, 12, 18, 0), durationMinutes: 90, summary: 'Group meeting' };

describe('calendarFile (RFC 5545)', () => {
  it('writes one VEVENT with UID, DTSTAMP, DTSTART in UTC, a duration and the summary, every line ending in CRLF', () => {
    const ics = calendarFile(EVENT);
    expect(ics).toBe(
      [
        'BEGIN:VCALENDAR',
        'VERSION:2.0',
        'PRODID:-//Kindred//Next session//EN',
        'CALSCALE:GREGORIAN',
        'METHOD:PUBLISH',
        'BEGIN:VEVENT',
        'UID:a1b2c3@kindred',
        'DTSTAMP:20261205T214107Z',
        'DTSTART:20261212T180000Z',
        'DURATION:PT90M',
        'SUMMARY:Group meeting',
        'END:VEVENT',
        'END:VCALENDAR',
        '',
      ].join('\r\n'),
    );
    expect(ics.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // no bare CR or LF anywhere
  });

  it('writes instants in UTC whatever they were entered in', () => {
    // 19:00 in UTC+01:00 and 03:00 the next day in UTC+09:00 are the same instant.
    expect(utcDateTime(Date.parse('2026-12-12T19:00:00+01:00'))).toBe('20261212T180000Z');
    expect(utcDateTime(Date.parse('2026-12-13T03:00:00+09:00'))).toBe('20261212T180000Z');
    expect(utcDateTime(Date.UTC(2027, 0, 1, 0, 0, 59, 999))).toBe('20270101T000059Z');
  });

  it('escapes backslash, semicolon, comma and line breaks in text, and drops other control characters', () => {
    expect(escapeText('a\\b;c,d\ne\r\nf\rg')).toBe('a\\\\b\\;c\\,d\\ne\\nf\\ng');
    expect(escapeText('tab\there\u0007')).toBe('tabhere');
    const ics = calendarFile({ ...EVENT, summary: 'Grief circle; Tuesdays, 7pm\nroom 2' });
    expect(ics).toContain('SUMMARY:Grief circle\\; Tuesdays\\, 7pm\\nroom 2\r\n');
  });

  it('folds lines over 75 octets with CRLF and a space, never inside a UTF-8 character', () => {
    const long = `SUMMARY:${'é'.repeat(60)}`; // 8 + 120 octets
    const folded = foldLine(long);
    const lines = folded.split('\r\n');
    expect(lines.length).toBeGreaterThan(1);
    const enc = new TextEncoder();
    lines.forEach((l, i) => {
      expect(enc.encode(l).length).toBeLessThanOrEqual(75);
      if (i > 0) expect(l.startsWith(' ')).toBe(true);
    });
    expect(lines.map((l, i) => (i === 0 ? l : l.slice(1))).join('')).toBe(long); // unfolding gives the line back
    expect(foldLine('x'.repeat(75))).toBe('x'.repeat(75));
    expect(foldLine('x'.repeat(76))).toBe(`${'x'.repeat(75)}\r\n x`);
  });
});
