import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { MAX_TEXT_LENGTH } from '@kindred/shared/protocol';
import { dispatch, fireAndForget, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { composerBlock, isFacilitator, type ComposerBlock } from '../../store/selectors';
import { useNow } from '../useNow';
import { formatDuration } from '../format';
import { ErrorNotice } from './ErrorNotice';

const TYPING_IDLE_MS = 3000;

const BLOCKED: Record<NonNullable<ComposerBlock>, string> = {
  'not-in-session': 'You are not in the session.',
  muted: 'A facilitator has muted you, so you cannot send messages. You can still read, raise your hand and write to the facilitators privately.',
  'mute-all': 'Only the facilitators can write right now. You can still raise your hand.',
  'not-your-turn': 'A round is running: only the person holding the talking stick can write. Wait for your turn.',
};

/** Writing a message. When the member may not send (muted, not their turn), it says why and cannot send. */
export function Composer() {
  const error = useErrorFrom('send');
  const clearError = useSession((s) => s.clearError);
  const [text, setText] = useState('');
  const typing = useRef(false);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);
  const blockedBy = useEngine(composerBlock);
  const block = blockedBy ? BLOCKED[blockedBy] : null;
  const slow = useEngine((s) => s.group?.roster?.policy.slowModeSeconds ?? 0);
  const wait = useSlowModeWait(slow);

  const setTyping = (on: boolean) => {
    if (typing.current === on) return;
    typing.current = on;
    fireAndForget((engine) => engine.setTyping(on));
  };

  useEffect(
    () => () => {
      if (idle.current) clearTimeout(idle.current);
    },
    [],
  );

  const onChange = (value: string) => {
    setText(value);
    if (block) return;
    setTyping(value.length > 0);
    if (idle.current) clearTimeout(idle.current);
    idle.current = setTimeout(() => setTyping(false), TYPING_IDLE_MS);
  };

  const send = () => {
    const body = text.trim();
    if (block || body.length === 0 || wait > 0) return;
    setTyping(false);
    // The message shows at once in the log ("waiting to send" while offline) and goes out by itself: the composer is
    // free for the next one. A refusal brings the text back when nothing new was typed.
    setText('');
    void dispatch('send', (engine) => engine.send(body)).then((ok) => {
      if (!ok) setText((current) => (current.length === 0 ? body : current));
    });
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    send();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      send();
    }
  };

  return (
    <form className="composer" onSubmit={submit} aria-label="Write a message">
      {block ? (
        <p className="composer-block" id="composer-block" role="status">
          {block}
        </p>
      ) : null}
      <label htmlFor="composer-text" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-text"
        rows={2}
        maxLength={MAX_TEXT_LENGTH}
        value={text}
        disabled={block !== null}
        aria-describedby={block ? 'composer-block' : 'composer-hint'}
        placeholder={block ? '' : 'Write a message'}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <button type="submit" className="primary" disabled={block !== null || text.trim().length === 0 || wait > 0}>
        Send
      </button>
      <p id="composer-hint" className="hint">
        Enter sends; Shift+Enter starts a new line.{slow > 0 ? ` Slow mode: one message every ${formatDuration(slow)}.` : ''}
      </p>
      {wait > 0 ? (
        <p className="hint slow-wait" aria-live="off">
          You can send your next message in {wait} s.
        </p>
      ) : null}
      <ErrorNotice error={error} onDismiss={clearError} />
    </form>
  );
}

/**
 * Slow mode, for members: whole seconds until my next message may go (the relay refuses it earlier with SLOW_MODE),
 * counted from my last message on this device's clock; 0 when I may send. The clock ticks each second only meanwhile.
 */
function useSlowModeWait(slowSeconds: number): number {
  const paced = useEngine((s) => slowSeconds > 0 && !isFacilitator(s));
  const lastSent = useEngine((s) => {
    const mine = s.session?.messages.filter((m) => m.own && !m.waiting) ?? [];
    return mine.length > 0 ? mine[mine.length - 1]!.receivedAt : null;
  });
  const until = paced && lastSent !== null ? lastSent + slowSeconds * 1000 : 0;
  const now = useNow(until > Date.now() ? 1000 : 60_000);
  return Math.max(0, Math.ceil((until - now) / 1000));
}
