/** Plain-language times and durations. Pure functions of their inputs (the clock is passed in). */

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return plural(s, 'second');
  // Rounded first, so that 59.5 minutes reads "1 hour", never "60 minutes" (a message shown again after a reload).
  const minutes = Math.round(s / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.round(s / 3600);
  if (hours < 24) return plural(hours, 'hour');
  return plural(Math.round(s / 86_400), 'day');
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "disappears in 4 minutes" / "disappearing now". */
export function disappearsIn(expiresAt: number, now: number): string {
  const left = (expiresAt - now) / 1000;
  if (left <= 5) return 'disappearing now';
  if (left < 60) return 'disappears in under a minute';
  return `disappears in ${formatDuration(left)}`;
}

/** Local clock time, hours and minutes. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Percent, whole numbers: 0.4166 -> "42%". */
export function percent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export const EXPIRY_CHOICES: readonly number[] = [10 * 60, 30 * 60, 3600, 2 * 3600, 24 * 3600];
export const SLOW_MODE_CHOICES: readonly number[] = [0, 10, 30, 60, 120];
