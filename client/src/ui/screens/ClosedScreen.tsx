import { quickExit } from '../../store/quickExit';
import { dispatch, useEngine } from '../../store/sessionStore';
import { isFacilitator } from '../../store/selectors';
import { NextSessionNotice } from '../parts/NextSessionNotice';

const TEXT: Record<string, string> = {
  ended: 'The circle has closed. Thank you for being here.',
  removed: 'A facilitator has removed you from this session.',
  banned: 'A facilitator has removed you from this group.',
  left: 'You have left the session.',
};

/** After the session: everything of it has already been wiped by the engine. */
export function ClosedScreen() {
  const reason = useEngine((s) => s.closedReason ?? 'ended');
  const facilitator = useEngine(isFacilitator);
  return (
    <main id="main" className="screen narrow">
      <h1>Session closed</h1>
      <p role="status">{TEXT[reason]}</p>
      <p>Every message from the session has been wiped from this tab.</p>
      {reason === 'ended' || reason === 'left' ? <NextSessionNotice /> : null}
      {facilitator ? (
        <button type="button" className="primary" onClick={() => void dispatch('back', (e) => e.acknowledgeClosed())}>
          Back to the group
        </button>
      ) : null}
      <button type="button" onClick={quickExit}>
        Close this page
      </button>
    </main>
  );
}
