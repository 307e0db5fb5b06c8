import { useEffect, useRef } from 'react';
import { dispatch, useEngine, useErrorFrom } from '../../store/sessionStore';
import { useApp } from '../../store/appStore';
import { useIdentity } from '../../store/identityStore';
import { openInvite } from '../../store/flows';
import { ErrorNotice } from '../parts/ErrorNotice';
import { IdentityGate } from '../parts/IdentityGate';
import { PhaseView } from './PhaseView';

/** #/join/<fragment>: the key, then the invite (decrypted here; the fragment never leaves the browser). */
export function JoinScreen() {
  const identity = useIdentity((s) => s.status);
  const route = useApp((s) => s.route);
  const fragment = route.name === 'join' ? route.fragment : null;
  const phase = useEngine((s) => s.phase);
  const error = useErrorFrom('open-invite');
  // The route object, not the fragment: opening the same link again in this tab (after "Session closed") is a new
  // route and opens the invite again.
  const opened = useRef<object | null>(null);

  useEffect(() => {
    if (identity !== 'ready' || !fragment || opened.current === route) return;
    opened.current = route;
    void dispatch('open-invite', (engine) => openInvite(engine, fragment));
  }, [identity, fragment, route]);

  if (identity !== 'ready') return <IdentityGate />;
  if (!fragment) {
    return (
      <main id="main" className="screen narrow">
        <h1>Open your invite link</h1>
        <p>Open the link your facilitator sent you again; this page does not keep it.</p>
      </main>
    );
  }
  if (phase === 'idle') {
    return (
      <main id="main" className="screen narrow">
        <h1>Opening the invite</h1>
        {error ? <ErrorNotice error={error} /> : <p role="status">Checking the invite and decrypting the group card in this browser…</p>}
      </main>
    );
  }
  return <PhaseView />;
}
