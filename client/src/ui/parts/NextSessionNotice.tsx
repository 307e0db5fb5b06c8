import { useState } from 'react';
import { toHex } from '@kindred/shared/encoding';
import { useEngine } from '../../store/sessionStore';
import { calendarFile } from '../calendarFile';
import { describeMeetingTime, isUpcoming } from '../nextSession';
import { useNow } from '../useNow';

/** What a calendar shows unless the member asks for the group's name: a calendar entry is seen over a shoulder. */
export const NEUTRAL_SUMMARY = 'Group meeting';

/**
 * "Next session: <weekday, date, time>" in the reader's own zone (from the verified card), with an "Add to calendar"
 * file made here in the browser (a Blob; no server is asked). The entry's title is neutral unless the member ticks
 * the box to put the group's name in it.
 */
export function NextSessionNotice() {
  const next = useEngine((s) => s.group?.card?.nextSession ?? null);
  const name = useEngine((s) => s.group?.card?.name ?? '');
  const [withName, setWithName] = useState(false);
  const now = useNow(60_000);
  if (!next || !isUpcoming(next, now)) return null;
  const download = (): void => {
    const ics = calendarFile({
      // getRandomValues, unlike randomUUID, is there on a relay served over plain HTTP too.
      uid: `${toHex(crypto.getRandomValues(new Uint8Array(16)))}@kindred`,
      stampMs: Date.now(),
      startMs: next.startsAt,
      durationMinutes: next.durationMinutes,
      summary: withName && name ? name : NEUTRAL_SUMMARY,
    });
    const url = URL.createObjectURL(new Blob([ics], { type: 'text/calendar;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = 'meeting.ics';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  return (
    <section className="panel next-session" aria-labelledby="next-session-h">
      <h2 id="next-session-h" className="visually-hidden">
        Next session
      </h2>
      <p>
        <strong>Next session:</strong> <time dateTime={new Date(next.startsAt).toISOString()}>{describeMeetingTime(next.startsAt)}</time>
      </p>
      <div className="check">
        <input id="ics-with-name" type="checkbox" checked={withName} onChange={(e) => setWithName(e.target.checked)} aria-describedby="ics-hint" />
        <label htmlFor="ics-with-name">Put the group&apos;s name in the calendar entry</label>
      </div>
      <p className="hint" id="ics-hint">
        Otherwise it just says &ldquo;{NEUTRAL_SUMMARY}&rdquo;: anyone who sees your calendar sees its title.
      </p>
      <button type="button" onClick={download}>
        Add to calendar
      </button>
    </section>
  );
}
