import { useState } from 'react';
import { dispatch, useErrorFrom, useSession } from '../../store/sessionStore';
import { talkShareRows } from '../../store/selectors';
import { EXPIRY_CHOICES, SLOW_MODE_CHOICES, clockTime, formatDuration, percent } from '../format';
import { nameOf, shortId } from '../names';
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
  const snapshot = useSession((s) => s.snapshot);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('admit', 'deny');
  const locked = snapshot.session?.locked ?? false;
  return (
    <section className="panel" aria-labelledby="waiting-h">
      <h3 id="waiting-h">Waiting room ({snapshot.waiting.length})</h3>
      {locked ? <p className="hint">The session is locked: new people cannot knock.</p> : null}
      {snapshot.waiting.length === 0 ? <p>Nobody is waiting.</p> : null}
      <ul className="plain">
        {snapshot.waiting.map((k) => {
          // The pseudonym is the knocker's own word; the key's short id tells two alike apart.
          const name = `${k.displayName || 'Someone'} (${shortId(k.memberId)})`;
          return (
            <li key={k.memberId} className="row">
              <span>
                {name} <span className="tag">{k.signedAgreement ? 'signed the agreement' : 'accepted the rules'}</span>
              </span>
              <button type="button" className="primary" disabled={busy === 'admit'} aria-label={`Admit ${name}`} onClick={() => void dispatch('admit', (e) => e.admit(k.memberId))}>
                Admit
              </button>
              <button type="button" disabled={busy === 'deny'} aria-label={`Deny ${name}`} onClick={() => void dispatch('deny', (e) => e.deny(k.memberId))}>
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
  const snapshot = useSession((s) => s.snapshot);
  const rows = talkShareRows(snapshot);
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
                {nameOf(snapshot, r.memberId)}
                {r.flag === 'silent' ? <span className="tag">silent so far</span> : null}
                {r.flag === 'dominant' ? <span className="tag tag-dominant">speaking a lot</span> : null}
              </th>
              <td>
                <meter min={0} max={1} value={r.messageShare} aria-label={`${nameOf(snapshot, r.memberId)}: share of messages`} />{' '}
                {percent(r.messageShare)} ({r.messages})
              </td>
              <td>
                <meter min={0} max={1} value={r.charShare} aria-label={`${nameOf(snapshot, r.memberId)}: share of characters`} />{' '}
                {percent(r.charShare)} ({r.chars})
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function MemberControls() {
  const snapshot = useSession((s) => s.snapshot);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('mute', 'unmute', 'remove', 'ban', 'promote');
  const [confirm, setConfirm] = useState<{ op: 'remove' | 'ban'; memberId: string } | null>(null);
  const others = snapshot.roster.filter((m) => m.memberId !== snapshot.me);
  return (
    <section className="panel" aria-labelledby="members-h">
      <h3 id="members-h">Members</h3>
      {others.length === 0 ? <p>Nobody else is in the group yet.</p> : null}
      <ul className="plain member-controls">
        {others.map((m) => {
          const name = nameOf(snapshot, m.memberId);
          return (
            <li key={m.memberId}>
              <p>
                <strong>{name}</strong> {m.role === 'facilitator' ? <span className="tag">facilitator</span> : null}
                {m.muted ? <span className="tag tag-muted">muted</span> : null}
              </p>
              <div className="row">
                {m.muted ? (
                  <button type="button" disabled={busy === 'unmute'} aria-label={`Unmute ${name}`} onClick={() => void dispatch('unmute', (e) => e.unmute(m.memberId))}>
                    Unmute
                  </button>
                ) : (
                  <button type="button" disabled={busy === 'mute'} aria-label={`Mute ${name}`} onClick={() => void dispatch('mute', (e) => e.mute(m.memberId))}>
                    Mute
                  </button>
                )}
                {m.role === 'member' ? (
                  <button type="button" disabled={busy === 'promote'} aria-label={`Make co-facilitator: ${name}`} onClick={() => void dispatch('promote', (e) => e.promote(m.memberId))}>
                    Make co-facilitator
                  </button>
                ) : null}
                {confirm?.memberId === m.memberId ? (
                  <>
                    <button
                      type="button"
                      className="danger"
                      aria-label={`Yes, ${confirm.op} ${name}`}
                      onClick={() => {
                        const op = confirm.op;
                        setConfirm(null);
                        void dispatch(op, (e) => (op === 'ban' ? e.ban(m.memberId) : e.remove(m.memberId)));
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
                    <button type="button" className="danger" aria-label={`Remove ${name}`} onClick={() => setConfirm({ op: 'remove', memberId: m.memberId })}>
                      Remove
                    </button>
                    <button type="button" className="danger" aria-label={`Ban ${name}`} onClick={() => setConfirm({ op: 'ban', memberId: m.memberId })}>
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
  const session = useSession((s) => s.snapshot.session);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('lock', 'mute-all', 'slow', 'expiry', 'close');
  const [confirmClose, setConfirmClose] = useState(false);
  if (!session) return null;
  return (
    <section className="panel" aria-labelledby="controls-h">
      <h3 id="controls-h">This session</h3>
      <div className="row">
        <button type="button" aria-pressed={session.locked} disabled={busy === 'lock'} onClick={() => void dispatch('lock', (e) => e.lock(!session.locked))}>
          {session.locked ? 'Unlock the session' : 'Lock the session to new arrivals'}
        </button>
        <button
          type="button"
          aria-pressed={session.muteAllButFacilitators}
          disabled={busy === 'mute-all'}
          onClick={() => void dispatch('mute-all', (e) => e.muteAll(!session.muteAllButFacilitators))}
        >
          {session.muteAllButFacilitators ? 'Let everyone write again' : 'Mute all but facilitators'}
        </button>
      </div>
      <label htmlFor="slow-mode">Slow mode</label>
      <select id="slow-mode" value={session.slowModeSeconds} disabled={busy === 'slow'} onChange={(e) => void dispatch('slow', (en) => en.slowMode(Number(e.target.value)))}>
        {SLOW_MODE_CHOICES.map((s) => (
          <option key={s} value={s}>
            {s === 0 ? 'Off' : `One message every ${formatDuration(s)}`}
          </option>
        ))}
      </select>
      <label htmlFor="expiry">Messages disappear after (everyone is told of a change)</label>
      <select id="expiry" value={session.expirySeconds} disabled={busy === 'expiry'} onChange={(e) => void dispatch('expiry', (en) => en.expiry(Number(e.target.value)))}>
        {[...new Set([...EXPIRY_CHOICES, session.expirySeconds])].sort((a, b) => a - b).map((s) => (
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
  const snapshot = useSession((s) => s.snapshot);
  if (snapshot.directs.length === 0) return null;
  return (
    <section className="panel inbox" aria-labelledby="inbox-h">
      <h3 id="inbox-h">Private notes to you ({snapshot.directs.length})</h3>
      <ul className="plain" aria-live="polite">
        {snapshot.directs.map((d) => (
          <li key={d.id} className={d.kind === 'struggling' ? 'direct struggling' : 'direct breach'}>
            <p>
              <strong>{nameOf(snapshot, d.from)}</strong> <time dateTime={new Date(d.at).toISOString()}>{clockTime(d.at)}</time>:{' '}
              {d.kind === 'struggling' ? 'is struggling' : 'reports a breach of confidentiality'}
            </p>
            {d.text ? <p className="pre-line">{d.text}</p> : null}
          </li>
        ))}
      </ul>
    </section>
  );
}
