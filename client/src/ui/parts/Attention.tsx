import { useEffect, useMemo, useRef, useState } from 'react';
import type { DirectNote, EngineState, Knocker } from '../../engine';
import { useApp, type ConsoleTab } from '../../store/appStore';
import { memoLast } from '../../store/memoLast';
import { useEngine } from '../../store/sessionStore';
import { beep } from '../beep';
import { useNames } from '../names';

const unread = memoLast((directs: DirectNote[] | undefined): DirectNote[] => (directs ?? []).filter((d) => d.readAt === null));
/** Private notes no facilitator on this device has marked as read yet. */
export function unreadNotes(s: EngineState): DirectNote[] {
  return unread(s.session?.directs);
}

/** What waits for the facilitator: people knocking and notes not yet read (the count in the tab title and badges). */
export function useAttentionCount(): number {
  return useEngine((s) => (s.session?.knocks.length ?? 0) + unreadNotes(s).length);
}

interface Toast {
  key: string;
  text: string;
  tab: ConsoleTab;
  urgent: boolean;
}

const TOAST_MS = 10_000;
const URGENT_TOAST_MS = 30_000;
const TITLE = 'Kindred';
const MAX_TOASTS = 4;

/**
 * What may be raised as a toast, worded from the state as it is now: each knock still waiting (with its pseudonym
 * once the introduction arrived) and each note not yet read. A knock admitted or turned away, or a note read, is no
 * longer here, so its toast goes by itself.
 */
function toastsNow(state: { knocks: Knocker[] | undefined; directs: DirectNote[] | undefined }, nameOf: (member: string) => string): Map<string, Toast> {
  const now = new Map<string, Toast>();
  for (const k of state.knocks ?? []) {
    const key = `knock:${k.member}`;
    now.set(key, { key, text: `${k.name ?? 'Someone'} is waiting to join.`, tab: 'waiting', urgent: false });
  }
  for (const d of state.directs ?? []) {
    if (d.readAt !== null) continue;
    const key = `note:${d.id}`;
    const text = d.kind === 'struggling' ? `${nameOf(d.from)} is struggling and wrote to you privately.` : `${nameOf(d.from)} reports a breach of confidentiality.`;
    now.set(key, { key, text, tab: 'notes', urgent: d.kind === 'struggling' });
  }
  return now;
}

/**
 * Facilitators: a knock and a private note reach them where they are looking. Each new one raises a toast (10 s; a
 * distress note's 30 s, and the distress banner keeps the note itself on screen until it is read), is announced to screen readers, counts in the tab title
 * ("(2) Kindred") and, when the facilitator turned it on, plays a short sound. A toast leaves once what it announced
 * was dealt with (the knock admitted or turned away, the note read), here or on another facilitator's device.
 */
export function Attention() {
  const knocks = useEngine((s) => s.session?.knocks);
  const directs = useEngine((s) => s.session?.directs);
  const count = useAttentionCount();
  const sound = useApp((s) => s.sound);
  const showTab = useApp((s) => s.showTab);
  const nameOf = useNames();
  const [raised, setRaised] = useState<string[]>([]);
  const [polite, setPolite] = useState('');
  const [assertive, setAssertive] = useState('');
  const seen = useRef<Set<string> | null>(null);
  const current = useMemo(() => toastsNow({ knocks, directs }, nameOf), [knocks, directs, nameOf]);

  useEffect(() => {
    // What was there when the console opened is shown by the badges, not raised again as news.
    if (seen.current === null) {
      seen.current = new Set(current.keys());
      return;
    }
    const fresh = [...current.values()].filter((t) => !seen.current!.has(t.key)); // set just above on first run
    if (fresh.length === 0) return;
    for (const t of fresh) seen.current.add(t.key);
    setRaised((old) => [...old, ...fresh.map((t) => t.key)].slice(-MAX_TOASTS));
    const urgent = fresh.filter((t) => t.urgent).map((t) => t.text);
    const calm = fresh.filter((t) => !t.urgent).map((t) => t.text);
    if (urgent.length > 0) setAssertive(urgent.join(' '));
    if (calm.length > 0) setPolite(calm.join(' '));
    if (sound) beep(urgent.length > 0);
    // A distress note also stays on the distress banner until read: its toast need not stay to be seen.
    for (const t of fresh) setTimeout(() => setRaised((old) => old.filter((key) => key !== t.key)), t.urgent ? URGENT_TOAST_MS : TOAST_MS);
  }, [current, sound]);

  useEffect(() => {
    document.title = count > 0 ? `(${count}) ${TITLE}` : TITLE;
  }, [count]);
  // Leaving the session puts the plain title back (unless quick exit has already named the tab otherwise).
  useEffect(
    () => () => {
      if (document.title.endsWith(TITLE)) document.title = TITLE;
    },
    [],
  );

  const dismiss = (key: string) => setRaised((old) => old.filter((k) => k !== key));
  const toasts = raised.map((key) => current.get(key)).filter((t): t is Toast => t !== undefined);
  return (
    <>
      <div className="visually-hidden" aria-live="polite">
        {polite}
      </div>
      <div className="visually-hidden" aria-live="assertive">
        {assertive}
      </div>
      {toasts.length > 0 ? (
        <ul className="toasts" aria-label="New for you">
          {toasts.map((t) => (
            <li key={t.key} className={t.urgent ? 'toast urgent' : 'toast'}>
              <p>{t.text}</p>
              <div className="row">
                <button
                  type="button"
                  className="primary"
                  onClick={() => {
                    dismiss(t.key);
                    showTab(t.tab);
                  }}
                >
                  {t.tab === 'waiting' ? 'Show the waiting room' : 'Read the note'}
                </button>
                <button type="button" aria-label={`Dismiss: ${t.text}`} onClick={() => dismiss(t.key)}>
                  Dismiss
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </>
  );
}
