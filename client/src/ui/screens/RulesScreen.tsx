import { useEffect, useRef, useState, type FormEvent } from 'react';
import { dispatch, useEngine, useSession } from '../../store/sessionStore';
import { expirySeconds } from '../../store/selectors';
import { formatDuration } from '../format';
import { ErrorNotice } from '../parts/ErrorNotice';

/**
 * Before each session: the ground rules, the code of conduct and the limits of confidentiality, accepted
 * explicitly. Nothing of the group (waiting room, chat, roster) is reachable from here until they are.
 */
export function RulesScreen() {
  const card = useEngine((s) => s.group?.card ?? null);
  const expiry = useEngine(expirySeconds);
  const busy = useSession((s) => s.busy === 'accept');
  const error = useSession((s) => s.error);
  const clearError = useSession((s) => s.clearError);
  const [accepted, setAccepted] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  if (!card) return null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!accepted) return;
    void dispatch('accept', (engine) => engine.acceptRules(card.requireSignedAgreement));
  };

  return (
    <main id="main" className="screen narrow rules">
      <h1 tabIndex={-1} ref={heading}>
        Before you join {card.name}
      </h1>
      <p>Please read these carefully. You are asked to accept them before every session.</p>
      <section aria-labelledby="rules-h">
        <h2 id="rules-h">Ground rules</h2>
        <p className="pre-line">{card.groundRules}</p>
      </section>
      <section aria-labelledby="conduct-h">
        <h2 id="conduct-h">Code of conduct</h2>
        <p className="pre-line">{card.codeOfConduct}</p>
      </section>
      <section aria-labelledby="limits-h">
        <h2 id="limits-h">Limits of confidentiality</h2>
        <p className="pre-line">{card.confidentialityLimits}</p>
      </section>
      <section aria-labelledby="expiry-h">
        <h2 id="expiry-h">Messages disappear</h2>
        <p>
          Messages disappear from every device {formatDuration(expiry)} after they arrive, and everything is
          wiped when the session ends. The facilitator may change this; any change is announced to everyone.
        </p>
      </section>
      <form onSubmit={submit} className="stack accept-form">
        <div className="check">
          <input id="accept-rules" type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} />
          <label htmlFor="accept-rules">
            {card.requireSignedAgreement
              ? 'I have read the ground rules, the code of conduct and the limits of confidentiality. I accept them, and I sign the confidentiality agreement with my key (the facilitator will see my signature).'
              : 'I have read the ground rules, the code of conduct and the limits of confidentiality, and I accept them.'}
          </label>
        </div>
        <button type="submit" className="primary" disabled={!accepted || busy} aria-disabled={!accepted || busy}>
          {card.requireSignedAgreement ? 'Sign and continue' : 'Accept and continue'}
        </button>
      </form>
      <ErrorNotice error={error} onDismiss={clearError} />
    </main>
  );
}
