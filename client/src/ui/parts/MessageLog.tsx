import { useEffect, useRef } from 'react';
import { useSession } from '../../store/sessionStore';
import { clockTime, disappearsIn } from '../format';
import { nameOf } from '../names';
import { useNow } from '../useNow';

type Line =
  | { kind: 'message'; id: string; at: number; sender: string; text: string; expiresAt: number }
  | { kind: 'notice'; id: string; at: number; text: string; noticeKind: string };

/**
 * The conversation and every change the group must see (expiry, roster, keys), in arrival order. role="log" makes
 * screen readers announce new lines politely.
 */
export function MessageLog() {
  const snapshot = useSession((s) => s.snapshot);
  const now = useNow();
  const end = useRef<HTMLLIElement>(null);
  const lines: Line[] = [
    ...snapshot.messages.map((m) => ({ kind: 'message' as const, id: m.id, at: m.receivedAt, sender: m.sender, text: m.text, expiresAt: m.expiresAt })),
    ...snapshot.notices.map((n) => ({ kind: 'notice' as const, id: `n-${n.id}`, at: n.at, text: n.text, noticeKind: n.kind })),
  ].sort((a, b) => a.at - b.at);
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
            <li key={line.id} className={line.sender === snapshot.me ? 'msg own' : 'msg'}>
              <p className="msg-meta">
                <span className="msg-sender">{nameOf(snapshot, line.sender)}</span>{' '}
                <time dateTime={new Date(line.at).toISOString()}>{clockTime(line.at)}</time>
                <span className="msg-expiry"> · {disappearsIn(line.expiresAt, now)}</span>
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
