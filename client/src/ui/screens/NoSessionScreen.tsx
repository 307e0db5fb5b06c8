import { useEffect } from 'react';
import { dispatch, sessionStore, useEngine, useSession } from '../../store/sessionStore';
import { useApp } from '../../store/appStore';
import { ErrorNotice } from '../parts/ErrorNotice';
import { NextSessionNotice } from '../parts/NextSessionNotice';

/**
 * How often the screen asks again whether a session has opened. Someone outside the group hears no pushes, so it asks
 * (one `invite.open` each time, not while the tab is hidden); the screen moves on by itself when a session opens.
 */
export const NO_SESSION_RECHECK_MS = 20_000;

/** A member opened a valid invite but no session is open yet. */
export function NoSessionScreen() {
  const name = useEngine((s) => s.group?.card?.name ?? 'The group');
  const busy = useSession((s) => s.busy === 'open-invite');
  const error = useSession((s) => s.error);
  const fragment = useApp((s) => (s.route.name === 'join' ? s.route.fragment : null));
  useEffect(() => {
    if (!fragment) return undefined;
    const timer = setInterval(() => {
      if (document.visibilityState === 'hidden' || sessionStore.getState().busy !== null) return;
      void dispatch('open-invite', (e) => e.openInvite(fragment));
    }, NO_SESSION_RECHECK_MS);
    return () => clearInterval(timer);
  }, [fragment]);
  return (
    <main id="main" className="screen narrow">
      <h1>No session right now</h1>
      <p role="status">{name} has no session open at the moment. This page checks by itself every 20 seconds and moves on when the session opens.</p>
      <NextSessionNotice />
      {fragment ? (
        <button type="button" disabled={busy} onClick={() => void dispatch('open-invite', (e) => e.openInvite(fragment))}>
          Check again
        </button>
      ) : null}
      <ErrorNotice error={error} />
    </main>
  );
}
