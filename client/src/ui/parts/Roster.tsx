import { useState } from 'react';
import { useApp } from '../../store/appStore';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { isFacilitator, selectMembers, type Member } from '../../store/selectors';
import { safetyNumberWith } from '../../store/safetyNumbers';
import { useNames } from '../names';
import { ErrorNotice } from './ErrorNotice';

type Confirm = { op: 'remove' | 'ban' | 'promote' | 'demote'; memberId: string };

const CONFIRM_LABEL: Record<Confirm['op'], string> = { remove: 'remove', ban: 'ban', promote: 'make co-facilitator', demote: 'make member again' };

/**
 * Who is in the group: roles, mutes, hands, who is away, safety numbers. A facilitator moderates from each person's
 * row; a change of role shows the person's safety number first, so the right key is promoted.
 */
export function Roster() {
  const all = useEngine(selectMembers);
  const me = useEngine((s) => s.me);
  const epochCode = useEngine((s) => s.group?.epochCode ?? null);
  const facilitator = useEngine(isFacilitator);
  const nameOf = useNames();
  const openPanel = useApp((s) => s.openPanel);
  const [confirm, setConfirm] = useState<Confirm | null>(null);
  const error = useErrorFrom('mute', 'unmute', 'remove', 'ban', 'promote', 'demote');
  const members = [...all].sort((a, b) => Number(b.present) - Number(a.present) || (a.role === b.role ? 0 : a.role === 'facilitator' ? -1 : 1));
  const here = members.filter((m) => m.present).length;
  // Offline, this device cannot know who is here: nobody is shown away, and the count says it is unknown.
  const offline = useEngine((s) => s.link.offline);
  // The last roster change I made: who present has confirmed holding it (an end-to-end `head` signal), who is late.
  const acks = useEngine((s) => s.session?.rosterAcks ?? null);
  const gap = useEngine((s) => s.session?.rosterGap ?? null);
  const ackOf = (id: string): AckStatus => {
    const a = acks?.members.find((x) => x.member === id);
    return a === undefined || a.acked ? null : a.overdue ? 'overdue' : 'pending';
  };
  return (
    <section className="roster" aria-labelledby="roster-h">
      <h2 id="roster-h">
        People <span className="count">({offline ? 'who is here is unknown while you are offline' : `${here} here`})</span>
      </h2>
      <ul>
        {members.map((m) => (
          <li key={m.id} className={m.present || offline ? 'member' : 'member away'}>
            <p className="member-line">
              <span className="member-name">{nameOf(m.id)}</span>
              {tags(m, offline, ackOf(m.id)).map((t) => (
                <span key={t} className={`tag tag-${t.replace(/[^a-z]/g, '')}`}>
                  {t}
                </span>
              ))}
            </p>
            {m.id !== me ? (
              <div className="member-actions">
                <button type="button" className="link-button" aria-label={`Safety number with ${nameOf(m.id)}`} onClick={() => openPanel('safety', m.id)}>
                  Safety number
                </button>
                {facilitator ? <Moderation member={m} name={nameOf(m.id)} confirm={confirm} setConfirm={setConfirm} /> : null}
              </div>
            ) : null}
          </li>
        ))}
      </ul>
      {acks?.members.some((a) => a.overdue) ? (
        <p className="hint" role="status">
          Someone marked “has not confirmed your change” has not shown that their device holds it. The server may be
          withholding it from them: compare the group code with them.
        </p>
      ) : null}
      {gap?.withheld ? (
        <p className="error" role="alert">
          The server may be withholding changes to this group. Sending is paused until this device has them.
        </p>
      ) : null}
      <ErrorNotice error={error} />
      {epochCode ? (
        <p className="hint">
          Group code <strong className="mono">{epochCode}</strong>: everyone in the group should see the same code.
        </p>
      ) : null}
    </section>
  );
}

/** Whether a person present has confirmed my last roster change: null when confirmed or not asked. */
type AckStatus = 'pending' | 'overdue' | null;

function tags(m: Member, offline: boolean, ack: AckStatus): string[] {
  return [
    m.role === 'facilitator' ? 'facilitator' : null,
    m.muted ? 'muted' : null,
    m.present || offline ? null : 'away',
    m.handRaised ? 'hand raised' : null,
    m.typing ? 'typing…' : null,
    m.verified ? 'verified' : null,
    ack === 'overdue' ? 'has not confirmed your change' : ack === 'pending' ? 'confirming your change…' : null,
  ].filter((x): x is string => x !== null);
}

function digitsWith(member: string): string | null {
  try {
    return safetyNumberWith(member).digits;
  } catch {
    return null; // shown as "unavailable": the confirmation still names the person
  }
}

function Moderation({ member: m, name, confirm, setConfirm }: { member: Member; name: string; confirm: Confirm | null; setConfirm: (c: Confirm | null) => void }) {
  const busy = useSession((s) => s.busy);
  if (confirm?.memberId === m.id) {
    const op = confirm.op;
    const roleChange = op === 'promote' || op === 'demote';
    const digits = roleChange ? digitsWith(m.id) : null;
    return (
      <div className="confirm" role="group" aria-label={`Confirm: ${CONFIRM_LABEL[op]} ${name}`}>
        {roleChange ? (
          <p>
            {op === 'promote' ? `Make ${name} a co-facilitator?` : `Make ${name} a member again?`} Their safety number:{' '}
            <strong className="mono">{digits ?? 'unavailable'}</strong>. Check it is the person you mean.
          </p>
        ) : (
          <p>{op === 'ban' ? `Ban ${name} from the group?` : `Remove ${name} from the session?`}</p>
        )}
        <button
          type="button"
          className={roleChange ? 'primary' : 'danger'}
          aria-label={`Yes, ${CONFIRM_LABEL[op]} ${name}`}
          onClick={() => {
            setConfirm(null);
            void dispatch(op, (e) => (op === 'ban' ? e.ban(m.id) : op === 'remove' ? e.remove(m.id) : op === 'promote' ? e.promote(m.id) : e.demote(m.id)));
          }}
        >
          Yes, {CONFIRM_LABEL[op]}
        </button>
        <button type="button" onClick={() => setConfirm(null)}>
          Cancel
        </button>
      </div>
    );
  }
  return (
    <>
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
        <button type="button" aria-label={`Make co-facilitator: ${name}`} onClick={() => setConfirm({ op: 'promote', memberId: m.id })}>
          Make co-facilitator
        </button>
      ) : (
        <button type="button" aria-label={`Make member again: ${name}`} onClick={() => setConfirm({ op: 'demote', memberId: m.id })}>
          Make member again
        </button>
      )}
      <button type="button" className="danger" aria-label={`Remove ${name}`} onClick={() => setConfirm({ op: 'remove', memberId: m.id })}>
        Remove
      </button>
      <button type="button" className="danger" aria-label={`Ban ${name}`} onClick={() => setConfirm({ op: 'ban', memberId: m.id })}>
        Ban
      </button>
    </>
  );
}
