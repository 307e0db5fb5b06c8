import { useState } from 'react';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { EMPTY, selectMembers, selectRules, talkShareRows } from '../../store/selectors';
import { EXPIRY_CHOICES, SLOW_MODE_CHOICES, clockTime, formatDuration, percent } from '../format';
import { shortId, useNames } from '../names';
import { ErrorNotice } from './ErrorNotice';
import { InvitePanel } from './InvitePanel';

/** Facilitators only: the waiting room, moderation, the session's settings, talk share and private notes. */
export function FacilitatorConsole() {
  return (
    <section className="console" aria-labelledby="console-h">
      <h2 id="console-h">Facilitator console</h2>
      <WaitingRoom />
      <DirectInbox />
      <TalkShare />
      <MemberControls />
      <SessionControls />
      <details className="panel">
        <summary>Invite links</summary>
        <InvitePanel />
      </details>
    </section>
  );
}

export function WaitingRoom() {
  const knocks = useEngine((s) => s.session?.knocks ?? EMPTY);
  const locked = useEngine((s) => s.group?.roster?.locked ?? false);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('admit', 'deny');
  return (
    <section className="panel" aria-labelledby="waiting-h">
      <h3 id="waiting-h">Waiting room ({knocks.length})</h3>
      {locked ? <p className="hint">The session is locked: new people cannot knock.</p> : null}
      {knocks.length === 0 ? <p>Nobody is waiting.</p> : null}
      <ul className="plain">
        {knocks.map((k) => {
          // The pseudonym is the knocker's own word; the key's short id tells two alike apart.
          const name = `${k.name || 'Someone'} (${shortId(k.member)})`;
          return (
            <li key={k.member} className="row">
              <span>
                {name} <span className="tag">{k.agreement ? 'signed the agreement' : 'accepted the rules'}</span>
              </span>
              <button type="button" className="primary" disabled={busy === 'admit'} aria-label={`Admit ${name}`} onClick={() => void dispatch('admit', (e) => e.admit(k.member))}>
                Admit
              </button>
              <button type="button" disabled={busy === 'deny'} aria-label={`Deny ${name}`} onClick={() => void dispatch('deny', (e) => e.deny(k.member))}>
                Deny
              </button>
            </li>
          );
        })}
      </ul>
      <ErrorNotice error={error} />
    </section>
  );
}

export function TalkShare() {
  const rows = useEngine(talkShareRows);
  const nameOf = useNames();
  return (
    <section className="panel" aria-labelledby="talk-h">
      <h3 id="talk-h">Talk share</h3>
      <p className="hint">Each person's share of this session's messages and characters, so quiet and loud voices are easy to see.</p>
      <table className="talk-share">
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Messages</th>
            <th scope="col">Characters</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.memberId}>
              <th scope="row">
                {nameOf(r.memberId)}
                {r.flag === 'silent' ? <span className="tag">silent so far</span> : null}
                {r.flag === 'dominant' ? <span className="tag tag-dominant">speaking a lot</span> : null}
              </th>
              <td>
                <meter min={0} max={1} value={r.messageShare} aria-label={`${nameOf(r.memberId)}: share of messages`} /> {percent(r.messageShare)} ({r.messages})
              </td>
              <td>
                <meter min={0} max={1} value={r.characterShare} aria-label={`${nameOf(r.memberId)}: share of characters`} /> {percent(r.characterShare)} (
                {r.characters})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function MemberControls() {
  const me = useEngine((s) => s.me);
  const members = useEngine(selectMembers);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('mute', 'unmute', 'remove', 'ban', 'promote');
  const nameOf = useNames();
  const [confirm, setConfirm] = useState<{ op: 'remove' | 'ban'; memberId: string } | null>(null);
  const others = members.filter((m) => m.id !== me);
  return (
    <section className="panel" aria-labelledby="members-h">
      <h3 id="members-h">Members</h3>
      {others.length === 0 ? <p>Nobody else is in the group yet.</p> : null}
      <ul className="plain member-controls">
        {others.map((m) => {
          const name = nameOf(m.id);
          return (
            <li key={m.id}>
              <p>
                <strong>{name}</strong> {m.role === 'facilitator' ? <span className="tag">facilitator</span> : null}
                {m.muted ? <span className="tag tag-muted">muted</span> : null}
              </p>
              <div className="row">
                {m.muted ? (
                  <button type="button" disabled={busy === 'unmute'} aria-label={`Unmute ${name}`} onClick={() => void dispatch('unmute', (e) => e.unmute(m.id))}>
                    Unmute
                  </button>
                ) : (
                  <button type="button" disabled={busy === 'mute'} aria-label={`Mute ${name}`} onClick={() => void dispatch('mute', (e) => e.mute(m.id))}>
                    Mute
                  </button>
                )}
                {m.role === 'member' ? (
                  <button type="button" disabled={busy === 'promote'} aria-label={`Make co-facilitator: ${name}`} onClick={() => void dispatch('promote', (e) => e.promote(m.id))}>
                    Make co-facilitator
                  </button>
                ) : null}
                {confirm?.memberId === m.id ? (
                  <>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Yes, ${confirm.op} ${name}`}
                      onClick={() => {
                        const op = confirm.op;
                        setConfirm(null);
                        void dispatch(op, (e) => (op === 'ban' ? e.ban(m.id) : e.remove(m.id)));
                      }}
                    >
                      Yes, {confirm.op === 'ban' ? 'ban' : 'remove'}
                    </button>
                    <button type="button" onClick={() => setConfirm(null)}>
                      Cancel
                    </button>
                  </>
                ) : (
                  <>
                    <button type="button" className="danger" aria-label={`Remove ${name}`} onClick={() => setConfirm({ op: 'remove', memberId: m.id })}>
                      Remove
                    </button>
                    <button type="button" className="danger" aria-label={`Ban ${name}`} onClick={() => setConfirm({ op: 'ban', memberId: m.id })}>
                      Ban
                    </button>
                  </>
                )}
              </div>
            </li>
          );
        })}
      </ul>
      <ErrorNotice error={error} />
    </section>
  );
}

export function SessionControls() {
  const rules = useEngine(selectRules);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('lock', 'mute-all', 'slow', 'expiry', 'close');
  const [confirmClose, setConfirmClose] = useState(false);
  if (!rules) return null;
  return (
    <section className="panel" aria-labelledby="controls-h">
      <h3 id="controls-h">This session</h3>
      <div className="row">
        <button type="button" aria-pressed={rules.locked} disabled={busy === 'lock'} onClick={() => void dispatch('lock', (e) => e.lock(!rules.locked))}>
          {rules.locked ? 'Unlock the session' : 'Lock the session to new arrivals'}
        </button>
        <button
          type="button"
          aria-pressed={rules.muteAllButFacilitators}
          disabled={busy === 'mute-all'}
          onClick={() => void dispatch('mute-all', (e) => e.muteAll(!rules.muteAllButFacilitators))}
        >
          {rules.muteAllButFacilitators ? 'Let everyone write again' : 'Mute all but facilitators'}
        </button>
      </div>
      <label htmlFor="slow-mode">Slow mode</label>
      <select id="slow-mode" value={rules.slowModeSeconds} disabled={busy === 'slow'} onChange={(e) => {
          const seconds = Number(e.target.value); // read now: the controlled select shows the old value again until the roster changes
          void dispatch('slow', (en) => en.slowMode(seconds));
        }}>
        {SLOW_MODE_CHOICES.map((s) => (
          <option key={s} value={s}>
            {s === 0 ? 'Off' : `One message every ${formatDuration(s)}`}
          </option>
        ))}
      </select>
      <label htmlFor="expiry">Messages disappear after (everyone is told of a change)</label>
      <select id="expiry" value={rules.expirySeconds} disabled={busy === 'expiry'} onChange={(e) => {
          const seconds = Number(e.target.value);
          void dispatch('expiry', (en) => en.setExpiry(seconds));
        }}>
        {[...new Set([...EXPIRY_CHOICES, rules.expirySeconds])]
          .sort((a, b) => a - b)
          .map((s) => (
            <option key={s} value={s}>
              {formatDuration(s)}
            </option>
          ))}
      </select>
      <div className="row close-row">
        {confirmClose ? (
          <>
            <p>Close the circle for everyone? Every message is wiped from every device.</p>
            <button type="button" className="danger" onClick={() => void dispatch('close', (e) => e.closeSession())}>
              Yes, close the circle
            </button>
            <button type="button" onClick={() => setConfirmClose(false)}>
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="danger" onClick={() => setConfirmClose(true)}>
            Close the circle (end the session)
          </button>
        )}
      </div>
      <ErrorNotice error={error} />
    </section>
  );
}

export function DirectInbox() {
  const directs = useEngine((s) => s.session?.directs ?? EMPTY);
  const nameOf = useNames();
  if (directs.length === 0) return null;
  return (
    <section className="panel inbox" aria-labelledby="inbox-h">
      <h3 id="inbox-h">Private notes to you ({directs.length})</h3>
      <ul className="plain" aria-live="polite">
        {directs.map((d) => (
          <li key={d.id} className={d.kind === 'struggling' ? 'direct struggling' : 'direct breach'}>
            <p>
              <strong>{nameOf(d.from)}</strong> <time dateTime={new Date(d.receivedAt).toISOString()}>{clockTime(d.receivedAt)}</time>:{' '}
              {d.kind === 'struggling' ? 'is struggling' : 'reports a breach of confidentiality'}
            </p>
            {d.text ? <p className="pre-line">{d.text}</p> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
