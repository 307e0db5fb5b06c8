/**
 * Phone numbers in crisis resources, as parts a screen can turn into `tel:` (and, where the line offers texting,
 * `sms:`) links: a person in distress on a phone taps a number instead of copying it.
 */
export type TextPart = { text: string } | { number: string; dial: string; sms: boolean };

// A number: digits with spaces or hyphens between groups, 3 to 15 digits in all (short codes such as 112 count), not
// part of a word ("B12" stays text).
const NUMBER = /(?<![\w+])(\+?\d[\d -]{1,18}\d)(?![\w])/g;

export function phoneParts(line: string): TextPart[] {
  const parts: TextPart[] = [];
  const texting = /\btext\b/i.test(line);
  let at = 0;
  for (const m of line.matchAll(NUMBER)) {
    const raw = m[1]!;
    const dial = raw.replace(/[ -]/g, '');
    if (dial.replace('+', '').length < 3 || dial.replace('+', '').length > 15) continue;
    if (m.index! > at) parts.push({ text: line.slice(at, m.index) });
    parts.push({ number: raw, dial, sms: texting });
    at = m.index! + raw.length;
  }
  if (at < line.length) parts.push({ text: line.slice(at) });
  return parts;
}
