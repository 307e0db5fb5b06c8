import { dispatch, useEngine, useSession } from '../../store/sessionStore';
import { useApp } from '../../store/appStore';
import { ErrorNotice } from '../parts/ErrorNotice';

/** A member opened a valid invite but no session is open yet. */
export function NoSessionScreen() {
  const name = useEngine((s) => s.group?.card?.name ?? 'The group');
  const busy = useSession((s) => s.busy === 'open-invite');
  const error = useSession((s) => s.error);
  const fragment = useApp((s) => (s.route.name === 'join' ? s.route.fragment : null));
  return (
    <main id="main" className="screen narrow">
      <h1>No session right now</h1>
      <p role="status">{name} has no session open at the moment. Come back at the time your facilitator gave you.</p>
      {fragment ? (
        <button type="button" disabled={busy} onClick={() => void dispatch('open-invite', (e) => e.openInvite(fragment))}>
          Check again
        </button>
      ) : null}
      <ErrorNotice error={error} />
    </main>
  );
}
