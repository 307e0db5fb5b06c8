import { useEffect, useState, type FormEvent } from 'react';
import { useIdentity } from '../../store/identityStore';
import { ErrorNotice } from './ErrorNotice';

/**
 * Shown only when this browser holds a saved (passphrase-wrapped) key: unlock it, or continue as a one-off visit.
 * Without a saved key a one-off key is made at once, so the ground rules are the first thing a member reads.
 */
export function IdentityGate() {
  const status = useIdentity((s) => s.status);
  const busy = useIdentity((s) => s.busy);
  const error = useIdentity((s) => s.error);
  const check = useIdentity((s) => s.check);
  const unlock = useIdentity((s) => s.unlock);
  const startOneOff = useIdentity((s) => s.startOneOff);
  const [passphrase, setPassphrase] = useState('');

  useEffect(() => {
    if (status === 'unknown') void check();
    if (status === 'absent' && !busy && !error) void startOneOff();
  }, [status, busy, error, check, startOneOff]);

  if (status !== 'locked') {
    return (
      <main id="main" className="screen">
        <p role="status">{busy ? 'Preparing a one-off key for this visit…' : 'Getting ready…'}</p>
        <ErrorNotice error={error} />
      </main>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void unlock(passphrase).then((ok) => ok && setPassphrase(''));
  };

  return (
    <main id="main" className="screen narrow">
      <h1>Welcome back</h1>
      <p>This browser keeps a key for you, protected by your passphrase.</p>
      <form onSubmit={submit} className="stack">
        <label htmlFor="unlock-passphrase">Passphrase</label>
        <input
          id="unlock-passphrase"
          type="password"
          autoComplete="current-password"
          value={passphrase}
          onChange={(e) => setPassphrase(e.target.value)}
          required
        />
        <button type="submit" className="primary" disabled={busy || passphrase.length === 0}>
          {busy ? 'Unlocking… (this takes a few seconds)' : 'Unlock'}
        </button>
      </form>
      <ErrorNotice error={error} />
      <p>Or join without it: a new key is made for this visit only and forgotten when you close the tab.</p>
      <button type="button" onClick={() => void startOneOff()} disabled={busy}>
        Join as a one-off visit
      </button>
    </main>
  );
}
