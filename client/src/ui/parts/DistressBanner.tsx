import { useApp } from '../../store/appStore';
import { dispatch, useEngine } from '../../store/sessionStore';
import { unreadNotes } from './Attention';
import { useNames } from '../names';

/** Facilitators: every "I'm struggling" note not yet read stays above the conversation until someone reads it. */
export function DistressBanner() {
  const notes = useEngine(unreadNotes).filter((d) => d.kind === 'struggling');
  const showTab = useApp((s) => s.showTab);
  const nameOf = useNames();
  if (notes.length === 0) return null;
  return (
    <ul className="distress" aria-label="Members who are struggling">
      {notes.map((d) => (
        <li key={d.id} className="distress-note">
          <p>
            <strong>{nameOf(d.from)} is struggling.</strong> {d.text ? <span className="pre-line">“{d.text}”</span> : null}
          </p>
          <div className="row">
            <button type="button" className="primary" onClick={() => void dispatch('read-note', (e) => e.acknowledgeNote(d.id))}>
              I have read this (tell {nameOf(d.from)})
            </button>
            <button type="button" onClick={() => showTab('notes')}>
              All notes
            </button>
          </div>
        </li>
      ))}
    </ul>
  );
}
