import { useApp } from '../../store/appStore';
import { useErrorFrom, useSession } from '../../store/sessionStore';
import { isFacilitator } from '../../store/selectors';
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
  const snapshot = useSession((s) => s.snapshot);
  const otherError = useErrorFrom('verify', 'typing');
  const panel = useApp((s) => s.panel);
  const openPanel = useApp((s) => s.openPanel);
  const closePanel = useApp((s) => s.closePanel);
  const session = snapshot.session;
  const facilitator = isFacilitator(snapshot);

  return (
    <main id="main" className="session">
      <h1 className="visually-hidden">Session: {snapshot.card?.name ?? 'your group'}</h1>
      {snapshot.connection === 'reconnecting' ? (
        <p className="notice" role="status">
          The connection dropped. Reconnecting by itself; messages that have not expired will come back.
        </p>
      ) : null}
      <p className="session-status" role="status">
        Messages disappear after {formatDuration(session?.expirySeconds ?? snapshot.card?.expirySeconds ?? 3600)}.
        {session?.locked ? ' Locked to new arrivals.' : ''}
        {session?.slowModeSeconds ? ` Slow mode: one message every ${formatDuration(session.slowModeSeconds)}.` : ''}
        {session?.muteAllButFacilitators ? ' Only facilitators can write.' : ''}
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
