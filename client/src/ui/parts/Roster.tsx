import { useApp } from '../../store/appStore';
import { useEngine } from '../../store/sessionStore';
import { selectMembers } from '../../store/selectors';
import { useNames } from '../names';

/** Who is in the group, with roles, mutes and who is away: always a tap away during a session. */
export function Roster() {
  const all = useEngine(selectMembers);
  const me = useEngine((s) => s.me);
  const epochCode = useEngine((s) => s.group?.epochCode ?? null);
  const nameOf = useNames();
  const openPanel = useApp((s) => s.openPanel);
  const members = [...all].sort((a, b) => Number(b.present) - Number(a.present) || (a.role === b.role ? 0 : a.role === 'facilitator' ? -1 : 1));
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
            <li key={m.id} className={m.present ? 'member' : 'member away'}>
              <span className="member-name">{nameOf(m.id)}</span>
              {states.map((st) => (
                <span key={st} className={`tag tag-${st.replace(/[^a-z]/g, '')}`}>
                  {st}
                </span>
              ))}
              {m.id !== me ? (
                <button type="button" className="link-button" aria-label={`Safety number with ${nameOf(m.id)}`} onClick={() => openPanel('safety', m.id)}>
                  Safety number
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {epochCode ? (
        <p className="hint">
          Group code <strong className="mono">{epochCode}</strong>: everyone in the group should see the same code.
        </p>
      ) : null}
    </section>
  );
}
