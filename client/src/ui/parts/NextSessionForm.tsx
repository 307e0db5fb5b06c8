import { useState } from 'react';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { ErrorNotice } from './ErrorNotice';
import { describeMeetingTime, inputValueOf, nextSessionFromInput } from '../nextSession';

const DURATIONS: readonly number[] = [30, 45, 60, 90, 120];

/**
 * Facilitators: when the group meets next, in their own time (the card stores the instant and their offset). Saved as
 * the next card revision, shared with the session and with the invite links this device holds; members see it in
 * their own time zone once the session has closed, and before the next one opens.
 */
export function NextSessionForm() {
  const next = useEngine((s) => s.group?.card?.nextSession ?? null);
  const busy = useSession((s) => s.busy === 'next-session');
  const error = useErrorFrom('next-session');
  const [when, setWhen] = useState(next ? inputValueOf(next.startsAt) : '');
  const [minutes, setMinutes] = useState(next?.durationMinutes ?? 60);
  const parsed = nextSessionFromInput(when, minutes);
  return (
    <section className="panel" aria-labelledby="next-form-h">
      <h3 id="next-form-h">Next session</h3>
      <p className="hint">
        {next ? `Set for ${describeMeetingTime(next.startsAt)}. ` : ''}Members see it in their own time zone when this session closes and while they wait
        for the next one; the relay never sees it.
      </p>
      <form
        className="next-session-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (parsed) void dispatch('next-session', (en) => en.setNextSession(parsed));
        }}
      >
        <label htmlFor="next-when">Date and time (your time)</label>
        <input id="next-when" type="datetime-local" value={when} onChange={(e) => setWhen(e.target.value)} />
        <label htmlFor="next-length">Length</label>
        <select id="next-length" value={minutes} onChange={(e) => setMinutes(Number(e.target.value))}>
          {[...new Set([...DURATIONS, minutes])]
            .sort((a, b) => a - b)
            .map((m) => (
              <option key={m} value={m}>
                {m < 60 || m % 60 !== 0 ? `${m} minutes` : `${m / 60} hour${m === 60 ? '' : 's'}`}
              </option>
            ))}
        </select>
        <div className="row">
          <button type="submit" className="primary" disabled={busy || !parsed}>
            Save the next session
          </button>
          {next ? (
            <button type="button" disabled={busy} onClick={() => void dispatch('next-session', (en) => en.setNextSession(null))}>
              Remove it
            </button>
          ) : null}
        </div>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}
