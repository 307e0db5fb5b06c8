/**
 * An iCalendar file (RFC 5545) with one event, made in the browser for "Add to calendar": no server is asked. Every
 * instant is written in UTC (`…Z`), so the member's calendar shows it in their own zone. Text values are escaped
 * (backslash, semicolon, comma, newline: section 3.3.11), lines end in CRLF and are folded at 75 octets without
 * splitting a UTF-8 character (section 3.1).
 */

export interface CalendarEvent {
  /** Globally unique (section 3.8.4.7): the same uid makes a calendar update the event instead of adding another. */
  uid: string;
  /** When the file was made (DTSTAMP), ms. */
  stampMs: number;
  startMs: number;
  durationMinutes: number;
  /** What a calendar shows. Someone else may see it: callers keep it neutral unless the person chose otherwise. */
  summary: string;
}

/** The whole file, CRLF line endings, ending with a CRLF. */
export function calendarFile(event: CalendarEvent): string {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Kindred//Next session//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${escapeText(event.uid)}`,
    `DTSTAMP:${utcDateTime(event.stampMs)}`,
    `DTSTART:${utcDateTime(event.startMs)}`,
    `DURATION:PT${Math.max(0, Math.round(event.durationMinutes))}M`,
    `SUMMARY:${escapeText(event.summary)}`,
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/** DATE-TIME in UTC form (section 3.3.5, form #2): 19980119T070000Z. */
export function utcDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/** TEXT escaping (section 3.3.11): `\` `;` `,` escaped, any line break as `\n`, other control characters dropped. */
export function escapeText(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[\u0000-\u001f\u007f]/g, ''); // eslint-disable-line no-control-regex
}

/** Folds a content line longer than 75 octets: CRLF then one space before each continuation (section 3.1). */
export function foldLine(line: string): string {
  const encoder = new TextEncoder();
  const parts: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const size = encoder.encode(ch).length;
    // The first line holds 75 octets; each continuation 74 after its leading space.
    if (octets + size > (parts.length === 0 ? 75 : 74)) {
      parts.push(current);
      current = '';
      octets = 0;
    }
    current += ch;
    octets += size;
  }
  parts.push(current);
  return parts.join('\r\n ');
}
