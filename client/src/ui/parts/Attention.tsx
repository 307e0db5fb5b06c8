import { useEffect, useRef, useState } from 'react';
import type { DirectNote, EngineState } from '../../engine';
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
const TITLE = 'Kindred';

/**
 * Facilitators: a knock and a private note reach them where they are looking. Each new one raises a toast (a
 * distress note's stays until dismissed), is announced to screen readers, counts in the tab title ("(2) Kindred")
 * and, when the facilitator turned it on, plays a short sound.
 */
export function Attention() {
  const knocks = useEngine((s) => s.session?.knocks);
  const directs = useEngine((s) => s.session?.directs);
  const count = useAttentionCount();
  const sound = useApp((s) => s.sound);
  const showTab = useApp((s) => s.showTab);
  const nameOf = useNames();
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [polite, setPolite] = useState('');
  const [assertive, setAssertive] = useState('');
  const seen = useRef<Set<string> | null>(null);

  useEffect(() => {
    const current: { key: string; toast: Toast }[] = [
      ...(knocks ?? []).map((k) => ({ key: `knock:${k.member}`, toast: { key: `knock:${k.member}`, text: `${k.name ?? 'Someone'} is waiting to join.`, tab: 'waiting' as const, urgent: false } })),
      ...(directs ?? []).map((d) => ({
        key: `note:${d.id}`,
        toast: {
          key: `note:${d.id}`,
          text: d.kind === 'struggling' ? `${nameOf(d.from)} is struggling and wrote to you privately.` : `${nameOf(d.from)} reports a breach of confidentiality.`,
          tab: 'notes' as const,
          urgent: d.kind === 'struggling',
        },
      })),
    ];
    // What was there when the console opened is shown by the badges, not raised again as news.
    if (seen.current === null) {
      seen.current = new Set(current.map((c) => c.key));
      return;
    }
    const fresh = current.filter((c) => !seen.current!.has(c.key)).map((c) => c.toast); // set just above on first run
    if (fresh.length === 0) return;
    for (const t of fresh) seen.current.add(t.key);
    setToasts((old) => [...old, ...fresh].slice(-4));
    const urgent = fresh.filter((t) => t.urgent).map((t) => t.text);
    const calm = fresh.filter((t) => !t.urgent).map((t) => t.text);
    if (urgent.length > 0) setAssertive(urgent.join(' '));
    if (calm.length > 0) setPolite(calm.join(' '));
    if (sound) beep(urgent.length > 0);
    for (const t of fresh) if (!t.urgent) setTimeout(() => setToasts((old) => old.filter((o) => o.key !== t.key)), TOAST_MS);
  }, [knocks, directs, nameOf, sound]);

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

  const dismiss = (key: string) => setToasts((old) => old.filter((t) => t.key !== key));
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
