import { useState, type FormEvent } from 'react';
import { MAX_DISPLAY_NAME } from '@kindred/shared/protocol';
import { dispatch, useSession } from '../../store/sessionStore';
import { enterAs } from '../../store/flows';
import { useIdentity } from '../../store/identityStore';
import { ErrorNotice } from '../parts/ErrorNotice';
import { KeepKeyForm } from '../parts/KeepKeyForm';

/** After the rules: a pseudonym for this session, then the waiting room. */
export function EnterScreen() {
  const busy = useSession((s) => s.busy === 'enter');
  const error = useSession((s) => s.error);
  const clearError = useSession((s) => s.clearError);
  // Shown for a saved key too: right after "Keep my key" it is the confirmation that the key was kept.
  const hasKey = useIdentity((s) => s.kind !== null);
  const [name, setName] = useState('');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return;
    void dispatch('enter', (engine) => enterAs(engine, trimmed));
  };

  return (
    <main id="main" className="screen narrow">
      <h1>Your name for this session</h1>
      <form onSubmit={submit} className="stack">
        <label htmlFor="display-name">Name the group will see (a first name or a made-up name is fine)</label>
        <input
          id="display-name"
          value={name}
          maxLength={MAX_DISPLAY_NAME}
          autoComplete="off"
          onChange={(e) => setName(e.target.value)}
          required
        />
        <p className="hint">Your name is encrypted: the server never sees it.</p>
        <button type="submit" className="primary" disabled={busy || name.trim().length === 0}>
          {busy ? 'Knocking…' : 'Go to the waiting room'}
        </button>
      </form>
      <ErrorNotice error={error} onDismiss={clearError} />
      {hasKey ? <KeepKeyForm /> : null}
    </main>
  );
}
