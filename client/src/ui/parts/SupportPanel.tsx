import { useState, type FormEvent } from 'react';
import { MAX_DIRECT_TEXT } from '@kindred/shared/protocol';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import type { DirectNote } from '../../engine';

type DirectKind = DirectNote['kind'];
import { ErrorNotice } from './ErrorNotice';

/** A private word to the facilitators only (end-to-end encrypted to each facilitator). */
export function SupportPanel() {
  const busy = useSession((s) => s.busy === 'direct');
  const error = useErrorFrom('direct');
  const [kind, setKind] = useState<DirectKind>('struggling');
  const [text, setText] = useState('');
  const [sent, setSent] = useState(false);
  const last = useEngine((s) => s.session?.sentNotes.at(-1) ?? null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSent(false);
    void dispatch('direct', (engine) => engine.sendDirect(kind, text.trim())).then((ok) => {
      if (ok) {
        setText('');
        setSent(true);
      }
    });
  };

  return (
    <section className="panel support" aria-labelledby="support-h">
      <h2 id="support-h">Talk to the facilitators privately</h2>
      <p className="hint">Only the facilitators can read this. The rest of the group will not see it.</p>
      <form onSubmit={submit} className="stack">
        <fieldset>
          <legend>What do you want to tell them?</legend>
          <div className="check">
            <input id="direct-struggling" type="radio" name="direct-kind" checked={kind === 'struggling'} onChange={() => setKind('struggling')} />
            <label htmlFor="direct-struggling">I am struggling</label>
          </div>
          <div className="check">
            <input id="direct-breach" type="radio" name="direct-kind" checked={kind === 'breach-report'} onChange={() => setKind('breach-report')} />
            <label htmlFor="direct-breach">I think someone broke confidentiality</label>
          </div>
        </fieldset>
        <label htmlFor="direct-text">Anything you want to add (optional)</label>
        <textarea id="direct-text" rows={3} maxLength={MAX_DIRECT_TEXT} value={text} onChange={(e) => setText(e.target.value)} />
        <button type="submit" disabled={busy}>
          Send privately
        </button>
        <p role="status" className={last?.readAt ? 'read-receipt' : undefined}>
          {last?.readAt ? 'A facilitator has read your note.' : sent || last ? 'Sent. A facilitator will see it.' : ''}
        </p>
      </form>
      <ErrorNotice error={error} />
    </section>
  );
}
