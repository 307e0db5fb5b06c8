import { useEngine } from '../../store/sessionStore';
import { expirySeconds, selectRules } from '../../store/selectors';
import { formatDuration } from '../format';

/** One line: how long messages last and what is in force (lock, slow mode, mute-all). */
export function SessionStatus() {
  const rules = useEngine(selectRules);
  const expiry = useEngine(expirySeconds);
  return (
    <p className="session-status" role="status">
      Messages disappear after {formatDuration(expiry)}.{rules?.locked ? ' Locked to new arrivals.' : ''}
      {rules?.slowModeSeconds ? ` Slow mode: one message every ${formatDuration(rules.slowModeSeconds)}.` : ''}
      {rules?.muteAllButFacilitators ? ' Only facilitators can write.' : ''}
    </p>
  );
}
