import { useEffect, useRef } from 'react';
import { useApp } from '../../store/appStore';
import { useEngine, useErrorFrom } from '../../store/sessionStore';
import { isFacilitator } from '../../store/selectors';
import { Attention, useAttentionCount } from '../parts/Attention';
import { Composer } from '../parts/Composer';
import { DistressBanner } from '../parts/DistressBanner';
import { ErrorNotice } from '../parts/ErrorNotice';
import { FacilitatorConsole } from '../parts/FacilitatorConsole';
import { MemberTools } from '../parts/MemberTools';
import { MessageLog } from '../parts/MessageLog';
import { OfflineBanner } from '../parts/OfflineBanner';
import { SessionStatus } from '../parts/SessionStatus';

/**
 * The live session: the conversation fills the height with the composer at the bottom; the people and the tools sit
 * beside it on a wide screen and in a sheet a tap away on a phone. Facilitators get their console there, in tabs.
 */
export function SessionScreen() {
  const facilitator = useEngine(isFacilitator);
  const otherError = useErrorFrom('verify', 'typing');
  const sideOpen = useApp((s) => s.sideOpen);
  const setSideOpen = useApp((s) => s.setSideOpen);
  const count = useAttentionCount();
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (sideOpen) closeButton.current?.focus();
  }, [sideOpen]);

  return (
    <main id="main" className="session">
      <h1 className="visually-hidden">Your session</h1>
      <section className="conversation" aria-labelledby="conversation-h">
        <div className="conversation-head">
          <h2 id="conversation-h">Conversation</h2>
          <button type="button" className="side-toggle" aria-expanded={sideOpen} aria-controls="side" onClick={() => setSideOpen(!sideOpen)}>
            {facilitator ? 'Console' : 'People & tools'}
            {count > 0 ? (
              <span className="badge" aria-label={`${count} need${count === 1 ? 's' : ''} you`}>
                {count}
              </span>
            ) : null}
          </button>
        </div>
        <SessionStatus />
        <OfflineBanner />
        {facilitator ? <DistressBanner /> : null}
        <ErrorNotice error={otherError} />
        <MessageLog />
        <Composer />
      </section>
      <aside id="side" className={sideOpen ? 'side open' : 'side'} aria-label={facilitator ? 'Facilitator console' : 'People and tools'}>
        <div className="side-head">
          <button type="button" ref={closeButton} className="side-close" onClick={() => setSideOpen(false)}>
            Back to the conversation
          </button>
        </div>
        {facilitator ? <FacilitatorConsole /> : <MemberTools />}
      </aside>
      {facilitator ? <Attention /> : null}
    </main>
  );
}
