import { useEffect, useRef } from 'react';
import { useApp } from '../../store/appStore';
import { useEngine } from '../../store/sessionStore';
import { GENERAL_CRISIS_TEXT } from '../rulesTemplate';

/** One click away on every screen: the group's crisis resources (from its signed card), or general ones. */
export function CrisisPanel() {
  const open = useApp((s) => s.panel === 'crisis');
  const close = useApp((s) => s.closePanel);
  const resources = useEngine((s) => s.group?.card?.crisisResources ?? null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (open) heading.current?.focus();
  }, [open]);
  if (!open) return null;
  return (
    <section className="panel crisis-panel" aria-labelledby="crisis-heading">
      <h2 id="crisis-heading" tabIndex={-1} ref={heading}>
        Help right now
      </h2>
      <p className="pre-line">{resources ?? GENERAL_CRISIS_TEXT}</p>
      {resources ? <p className="pre-line">{GENERAL_CRISIS_TEXT}</p> : null}
      <button type="button" onClick={close}>
        Close
      </button>
    </section>
  );
}
