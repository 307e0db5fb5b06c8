import { useApp } from '../../store/appStore';
import { useEngine, useErrorFrom } from '../../store/sessionStore';
import { expirySeconds, isFacilitator, selectRules } from '../../store/selectors';
import { formatDuration } from '../format';
import { Composer } from '../parts/Composer';
import { ErrorNotice } from '../parts/ErrorNotice';
import { FacilitatorConsole } from '../parts/FacilitatorConsole';
import { HandsAndRound } from '../parts/HandsAndRound';
import { MessageLog } from '../parts/MessageLog';
import { Roster } from '../parts/Roster';
import { SafetyPanel } from '../parts/SafetyPanel';
import { SupportPanel } from '../parts/SupportPanel';

/** The live session, for members and facilitators. */
export function SessionScreen() {
  const groupName = useEngine((s) => s.group?.card?.name ?? 'your group');
  const reconnecting = useEngine((s) => s.connection !== 'ready');
  const rules = useEngine(selectRules);
  const expiry = useEngine(expirySeconds);
  const otherError = useErrorFrom('verify', 'typing');
  const panel = useApp((s) => s.panel);
  const openPanel = useApp((s) => s.openPanel);
  const closePanel = useApp((s) => s.closePanel);
  const facilitator = useEngine(isFacilitator);

  return (
    <main id="main" className="session">
      <h1 className="visually-hidden">Session: {groupName}</h1>
      {reconnecting ? (
        <p className="notice" role="status">
          The connection dropped. Reconnecting by itself; messages that have not expired will come back.
        </p>
      ) : null}
      <p className="session-status" role="status">
        Messages disappear after {formatDuration(expiry)}.
        {rules?.locked ? ' Locked to new arrivals.' : ''}
        {rules?.slowModeSeconds ? ` Slow mode: one message every ${formatDuration(rules.slowModeSeconds)}.` : ''}
        {rules?.muteAllButFacilitators ? ' Only facilitators can write.' : ''}
      </p>
      <ErrorNotice error={otherError} />
      <div className="session-grid">
        <div className="area-roster">
          <Roster />
        </div>
        <section className="area-conversation" aria-labelledby="conversation-h">
          <h2 id="conversation-h">Conversation</h2>
          <MessageLog />
          <Composer />
        </section>
        <div className="area-tools">
          <SafetyPanel />
          <HandsAndRound />
          {facilitator ? null : (
            <>
              <button type="button" aria-expanded={panel === 'support'} onClick={() => (panel === 'support' ? closePanel() : openPanel('support'))}>
                Tell the facilitators privately
              </button>
              {panel === 'support' ? <SupportPanel /> : null}
            </>
          )}
        </div>
      </div>
      {facilitator ? <FacilitatorConsole /> : null}
    </main>
  );
}
