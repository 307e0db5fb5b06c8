import { useSession } from '../../store/sessionStore';
import { useApp } from '../../store/appStore';
import { nameOf } from '../names';

/** Who is in the group, with roles and mutes: always on screen during a session. */
export function Roster() {
  const snapshot = useSession((s) => s.snapshot);
  const openPanel = useApp((s) => s.openPanel);
  const members = [...snapshot.roster].sort((a, b) => Number(b.present) - Number(a.present) || (a.role === b.role ? 0 : a.role === 'facilitator' ? -1 : 1));
  const here = members.filter((m) => m.present).length;
  return (
    <section className="roster" aria-labelledby="roster-h">
      <h2 id="roster-h">
        People <span className="count">({here} here)</span>
      </h2>
      <ul>
        {members.map((m) => {
          const states = [
            m.role === 'facilitator' ? 'facilitator' : null,
            m.muted ? 'muted' : null,
            m.present ? null : 'away',
            m.handRaised ? 'hand raised' : null,
            m.typing ? 'typing…' : null,
            m.verified ? 'verified' : null,
          ].filter((x): x is string => x !== null);
          return (
            <li key={m.memberId} className={m.present ? 'member' : 'member away'}>
              <span className="member-name">{nameOf(snapshot, m.memberId)}</span>
              {states.map((st) => (
                <span key={st} className={`tag tag-${st.replace(/[^a-z]/g, '')}`}>
                  {st}
                </span>
              ))}
              {m.memberId !== snapshot.me ? (
                <button type="button" className="link-button" aria-label={`Safety number with ${nameOf(snapshot, m.memberId)}`} onClick={() => openPanel('safety', m.memberId)}>
                  Safety number
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {snapshot.epochCode ? (
        <p className="hint">
          Group code <strong className="mono">{snapshot.epochCode}</strong>: everyone in the group should see the same code.
        </p>
      ) : null}
    </section>
  );
}
