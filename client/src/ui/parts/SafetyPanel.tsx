import { useEffect, useRef } from 'react';
import { useApp } from '../../store/appStore';
import { dispatch, useEngine } from '../../store/sessionStore';
import { safetyNumberWith, type SafetyNumber } from '../../store/safetyNumbers';
import { toUserError } from '../../store/userError';
import { useNames } from '../names';
import { ErrorNotice } from './ErrorNotice';
import { QrImage } from './QrImage';

/** Compare safety numbers with one member (digits read aloud, or the QR scanned). */
export function SafetyPanel() {
  const memberId = useApp((s) => (s.panel === 'safety' ? s.safetyWith : null));
  const close = useApp((s) => s.closePanel);
  const verified = useEngine((s) => (memberId ? s.verified.includes(memberId) : false));
  const inRoster = useEngine((s) => (memberId ? (s.group?.roster?.members.some((m) => m.id === memberId) ?? false) : false));
  const nameOf = useNames();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (memberId) heading.current?.focus();
  }, [memberId]);
  if (!memberId) return null;

  let view: SafetyNumber | null = null;
  let problem = null;
  try {
    // Derived (not stored) from the two public identity keys; computed by the engine with shared/src/crypto.
    view = safetyNumberWith(memberId);
  } catch (e) {
    problem = toUserError(e);
  }
  const name = nameOf(memberId);

  return (
    <section className="panel safety" aria-labelledby="safety-h">
      <h2 id="safety-h" tabIndex={-1} ref={heading}>
        Safety number with {name}
      </h2>
      <p>
        Compare these digits with {name} by another channel (in person, by phone). If they match, nobody is standing
        between you. If they do not, tell the facilitator and do not share anything sensitive.
      </p>
      {view ? (
        <>
          <p className="safety-digits mono" aria-label={`Safety number: ${view.digits}`}>
            {view.digits}
          </p>
          <QrImage value={view.qrPayload} label={`QR code of the safety number with ${name}`} />
        </>
      ) : null}
      <ErrorNotice error={problem} />
      <div className="row">
        {inRoster && !verified && view ? (
          <button type="button" onClick={() => void dispatch('verify', (e) => e.markVerified(memberId))}>
            The numbers match
          </button>
        ) : null}
        {verified ? <p role="status">Verified on this device.</p> : null}
        <button type="button" onClick={close}>
          Close
        </button>
      </div>
    </section>
  );
}
