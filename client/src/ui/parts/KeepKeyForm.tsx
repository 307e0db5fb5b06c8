import { useState, type FormEvent } from 'react';
import { useIdentity } from '../../store/identityStore';
import { ErrorNotice } from './ErrorNotice';

export const MIN_PASSPHRASE = 10;

/**
 * Optional: keep this visit's key in this browser, protected by a passphrase, so the group recognises you next
 * time. Only the wrapped key is stored; on a shared device, leave it.
 */
export function KeepKeyForm({ facilitator = false }: { facilitator?: boolean }) {
  const saveCurrent = useIdentity((s) => s.saveCurrent);
  const busy = useIdentity((s) => s.busy);
  const error = useIdentity((s) => s.error);
  const kind = useIdentity((s) => s.kind);
  const [pass, setPass] = useState('');
  const [again, setAgain] = useState('');
  const mismatch = again.length > 0 && pass !== again;
  const tooShort = pass.length > 0 && pass.length < MIN_PASSPHRASE;

  if (kind === 'saved') return <p role="status">Your key is kept in this browser, protected by your passphrase.</p>;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (mismatch || pass.length < MIN_PASSPHRASE) return;
    void saveCurrent(pass).then((ok) => {
      if (ok) {
        setPass('');
        setAgain('');
      }
    });
  };

  return (
    <details className="keep-key">
      <summary>{facilitator ? 'Keep your facilitator key on this device (recommended)' : 'Keep my key on this device (optional)'}</summary>
      <p>
        {facilitator
          ? 'You will need this key to open sessions and admit members later. It is stored only in this browser, encrypted with your passphrase.'
          : 'Then the group can recognise you next time. Not recommended on a shared device. It is stored only in this browser, encrypted with your passphrase.'}
      </p>
      <form onSubmit={submit} className="stack">
        <label htmlFor="keep-pass">Passphrase (at least {MIN_PASSPHRASE} characters)</label>
        <input id="keep-pass" type="password" autoComplete="new-password" value={pass} onChange={(e) => setPass(e.target.value)} />
        <label htmlFor="keep-again">The same passphrase again</label>
        <input
          id="keep-again"
          type="password"
          autoComplete="new-password"
          value={again}
          aria-invalid={mismatch}
          aria-describedby="keep-problem"
          onChange={(e) => setAgain(e.target.value)}
        />
        <p id="keep-problem" className="hint" aria-live="polite">
          {mismatch ? 'The two passphrases are different.' : tooShort ? `Use at least ${MIN_PASSPHRASE} characters.` : ''}
        </p>
        <button type="submit" disabled={busy || mismatch || pass.length < MIN_PASSPHRASE}>
          {busy ? 'Protecting the key… (a few seconds)' : 'Keep my key'}
        </button>
      </form>
      <ErrorNotice error={error} />
    </details>
  );
}
