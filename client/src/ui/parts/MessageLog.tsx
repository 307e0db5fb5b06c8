import { useEffect, useMemo, useRef } from 'react';
import { useEngine } from '../../store/sessionStore';
import { EMPTY } from '../../store/selectors';
import { describeEvent, lineKind } from '../changeLog';
import { clockTime, disappearsIn } from '../format';
import { useNames } from '../names';
import { useNow } from '../useNow';

type Line =
  | { kind: 'message'; id: string; at: number; sender: string; text: string; expiresAt: number; waiting: boolean }
  | { kind: 'notice'; id: string; at: number; text: string; noticeKind: string };

/**
 * The conversation and every change the group must see (expiry, roster, keys), in arrival order. role="log" makes
 * screen readers announce new lines politely.
 */
export function MessageLog() {
  const messages = useEngine((s) => s.session?.messages ?? EMPTY);
  const events = useEngine((s) => s.session?.log ?? EMPTY);
  const me = useEngine((s) => s.me);
  const nameOf = useNames();
  const now = useNow();
  const end = useRef<HTMLLIElement>(null);
  const lines: Line[] = useMemo(
    () =>
      [
        ...messages.map((m) => ({ kind: 'message' as const, id: m.clientId !== undefined ? `${m.sender}:${m.clientId}` : m.id, at: m.receivedAt, sender: m.sender, text: m.text, expiresAt: m.expiresAt, waiting: m.waiting === true })),
        ...events.map((e) => ({ kind: 'notice' as const, id: `n-${e.id}`, at: e.at, text: describeEvent(e, me, nameOf), noticeKind: lineKind(e) })),
      ].sort((a, b) => a.at - b.at),
    [messages, events, me, nameOf],
  );
  const count = lines.length;
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: 'nearest' });
  }, [count]);

  return (
    // role="log" sits on a wrapper: on the <ol> itself it would replace the list role, orphaning every <li> (axe: listitem).
    <div className="log" role="log" aria-label="Messages" tabIndex={0}>
      <ol className="log-list">
        {lines.length === 0 ? <li className="empty">No messages yet.</li> : null}
        {lines.map((line) =>
          line.kind === 'message' ? (
            <li key={line.id} className={`msg${line.sender === me ? ' own' : ''}${line.waiting ? ' waiting' : ''}`}>
              <p className="msg-meta">
                <span className="msg-sender">{nameOf(line.sender)}</span>{' '}
                <time dateTime={new Date(line.at).toISOString()}>{clockTime(line.at)}</time>
                {line.waiting ? <span className="msg-waiting"> · waiting to send</span> : <span className="msg-expiry"> · {disappearsIn(line.expiresAt, now)}</span>}
              </p>
              <p className="msg-text">{line.text}</p>
            </li>
          ) : (
            <li key={line.id} className={`notice-line notice-${line.noticeKind}`}>
              <time dateTime={new Date(line.at).toISOString()}>{clockTime(line.at)}</time> {line.text}
            </li>
          ),
        )}
        <li ref={end} aria-hidden="true" className="log-end" />
      </ol>
    </div>
  );
}
