import { useEngine } from '../../store/sessionStore';
import { useNow } from '../useNow';

/**
 * Says at once that the link to the session is lost (engine `link`: from the drop until the session is re-entered),
 * that what is written waits and goes out by itself, and that presence is unknown meanwhile. After a re-entry the relay
 * refused, it says so and when the next try is; the session's end shows the closed screen instead.
 */
export function OfflineBanner() {
  const link = useEngine((s) => s.link);
  const waiting = useEngine((s) => s.session?.messages.filter((m) => m.waiting).length ?? 0);
  const now = useNow(1_000);
  if (!link.offline) return null;
  const retryIn = link.retryAt === null ? null : Math.max(1, Math.ceil((link.retryAt - now) / 1000));
  return (
    <div className="offline-banner" role="status" aria-live="polite">
      <p className="offline-title">
        <span className="offline-dot" aria-hidden="true" />
        {link.failures > 0 ? 'Reconnected, but not back in the session yet.' : 'You are offline.'}
      </p>
      <p className="offline-detail">
        {link.failures > 0
          ? `Rejoining failed ${link.failures === 1 ? 'once' : `${link.failures} times`}; trying again${retryIn !== null ? ` in ${retryIn} s` : ''}.`
          : 'Reconnecting by itself.'}{' '}
        {waiting > 0
          ? `${waiting === 1 ? 'Your message waits' : `Your ${waiting} messages wait`} and will be sent when you are back.`
          : 'What you write waits and is sent when you are back.'}{' '}
        Who is here is unknown until then.
      </p>
    </div>
  );
}
