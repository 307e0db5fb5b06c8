import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { openAndEnter } from '../../store/flows';
import { expirySeconds } from '../../store/selectors';
import { formatDuration } from '../format';
import { ErrorNotice } from '../parts/ErrorNotice';
import { InvitePanel } from '../parts/InvitePanel';
import { KeepKeyForm } from '../parts/KeepKeyForm';
import { NextSessionForm } from '../parts/NextSessionForm';

/** Facilitators between sessions: invite links, the key, and "open a session". */
export function FacilitatorLobby() {
  const card = useEngine((s) => s.group?.card ?? null);
  const expiry = useEngine(expirySeconds);
  const busy = useSession((s) => s.busy === 'open-session');
  const error = useErrorFrom('open-session', 'back');
  const clearError = useSession((s) => s.clearError);
  return (
    <main id="main" className="screen">
      <h1>{card?.name ?? 'Your group'}</h1>
      <p>
        No session is open. Messages will disappear after {formatDuration(expiry)}.
        {card?.requireSignedAgreement ? ' Members sign the confidentiality agreement before each session.' : ''}
      </p>
      <button type="button" className="primary" disabled={busy} onClick={() => void dispatch('open-session', openAndEnter)}>
        {busy ? 'Opening…' : 'Open a session'}
      </button>
      <ErrorNotice error={error} onDismiss={clearError} />
      <NextSessionForm />
      <InvitePanel />
      <KeepKeyForm facilitator />
    </main>
  );
}
