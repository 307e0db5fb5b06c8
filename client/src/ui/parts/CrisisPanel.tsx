import { useEffect, useRef } from 'react';
import { useApp } from '../../store/appStore';
import { useEngine } from '../../store/sessionStore';
import { GENERAL_CRISIS_TEXT } from '../rulesTemplate';
import { phoneParts } from '../phoneLinks';

/** Each line of a resource text, its phone numbers as links to call (and to text, where the line offers it). */
function Resources({ text }: { text: string }) {
  return (
    <ul className="crisis-lines">
      {text.split('\n').filter((line) => line.trim() !== '').map((line, i) => (
        <li key={i}>
          {phoneParts(line).map((p, j) =>
            'text' in p ? (
              <span key={j}>{p.text}</span>
            ) : (
              <span key={j}>
                <a href={`tel:${p.dial}`} aria-label={`Call ${p.number}`}>
                  {p.number}
                </a>
                {p.sms ? (
                  <>
                    {' '}
                    (<a href={`sms:${p.dial}`} aria-label={`Text ${p.number}`}>text</a>)
                  </>
                ) : null}
              </span>
            ),
          )}
        </li>
      ))}
    </ul>
  );
}

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
      <Resources text={resources ?? GENERAL_CRISIS_TEXT} />
      {/* The general advice once, and only where the group's own resources do not already say it. */}
      {resources && !/emergency/i.test(resources) ? <Resources text={GENERAL_CRISIS_TEXT} /> : null}
      <button type="button" onClick={close}>
        Close
      </button>
    </section>
  );
}
