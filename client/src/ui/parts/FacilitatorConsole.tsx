import { useState, type KeyboardEvent } from 'react';
import { useApp, type ConsoleTab } from '../../store/appStore';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { EMPTY, selectRules, talkShareRows } from '../../store/selectors';
import { EXPIRY_CHOICES, SLOW_MODE_CHOICES, clockTime, formatDuration, percent } from '../format';
import { shortId, useNames } from '../names';
import { describeMeetingTime } from '../nextSession';
import { unreadNotes } from './Attention';
import { ErrorNotice } from './ErrorNotice';
import { HandsAndRound } from './HandsAndRound';
import { InvitePanel } from './InvitePanel';
import { NextSessionForm } from './NextSessionForm';
import { Roster } from './Roster';
import { SafetyPanel } from './SafetyPanel';

const TABS: { id: ConsoleTab; label: string }[] = [
  { id: 'waiting', label: 'Waiting' },
  { id: 'notes', label: 'Notes' },
  { id: 'people', label: 'People' },
  { id: 'session', label: 'Session' },
];

/** Facilitators only, beside the chat: the waiting room, private notes, people (with moderation) and the session. */
export function FacilitatorConsole() {
  const tab = useApp((s) => s.consoleTab);
  const showTab = useApp((s) => s.showTab);
  const waiting = useEngine((s) => s.session?.knocks.length ?? 0);
  const unread = useEngine((s) => unreadNotes(s).length);
  const badge: Partial<Record<ConsoleTab, number>> = { waiting, notes: unread };
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    showTab(TABS[next]!.id); // next is an index into TABS
    document.getElementById(`tab-${TABS[next]!.id}`)?.focus();
  };
  return (
    <section className="console" aria-labelledby="console-h">
      <h2 id="console-h" className="visually-hidden">
        Facilitator console
      </h2>
      <div className="tabs" role="tablist" aria-label="Facilitator console" onKeyDown={onKey}>
        {TABS.map((t) => {
          const n = badge[t.id] ?? 0;
          return (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`tabpanel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className={n > 0 ? 'tab has-badge' : 'tab'}
              onClick={() => showTab(t.id)}
            >
              {t.label}
              {n > 0 ? <span className={t.id === 'notes' ? 'badge badge-urgent' : 'badge'}>{n}</span> : null}
            </button>
          );
        })}
      </div>
      <div className="tabpanel" role="tabpanel" id={`tabpanel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === 'waiting' ? <WaitingRoom /> : null}
        {tab === 'notes' ? <DirectInbox /> : null}
        {tab === 'people' ? (
          <>
            <SafetyPanel />
            <Roster />
          </>
        ) : null}
        {tab === 'session' ? (
          <>
            <HandsAndRound />
            <TalkShare />
            <SessionControls />
            <NextSessionForm />
            <SoundSetting />
            <details className="panel">
              <summary>Invite links</summary>
              <InvitePanel />
            </details>
          </>
        ) : null}
      </div>
    </section>
  );
}

function SoundSetting() {
  const sound = useApp((s) => s.sound);
  const setSound = useApp((s) => s.setSound);
  return (
    <div className="check panel">
      <input id="sound-on" type="checkbox" checked={sound} onChange={(e) => setSound(e.target.checked)} />
      <label htmlFor="sound-on">Play a short sound when someone knocks or sends a private note</label>
    </div>
  );
}

export function WaitingRoom() {
  const knocks = useEngine((s) => s.session?.knocks ?? EMPTY);
  const locked = useEngine((s) => s.group?.roster?.locked ?? false);
  const autoAdmit = useEngine((s) => s.group?.roster?.policy.autoAdmit === true);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('admit', 'deny');
  return (
    <section className="panel" aria-labelledby="waiting-h">
      <h3 id="waiting-h">Waiting room ({knocks.length})</h3>
      {locked ? <p className="hint">The session is locked: new people cannot knock.</p> : null}
      {autoAdmit && !locked ? <p className="hint">Newcomers with a valid invite are admitted automatically.</p> : null}
      {knocks.length === 0 ? <p>Nobody is waiting.</p> : null}
      <ul className="plain">
        {knocks.map((k) => {
          // The pseudonym is the knocker's own word; the key's short id tells two alike apart.
          const name = `${k.name || 'Someone'} (${shortId(k.member)})`;
          return (
            <li key={k.member} className="row">
              <span>
                {name} <span className="tag">{k.agreement ? 'signed the agreement' : 'accepted the rules'}</span> <span className="tag">via invite {k.invite.label ?? k.invite.id.slice(0, 6)}</span>
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

export function SessionControls() {
  const rules = useEngine(selectRules);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('lock', 'auto-admit', 'mute-all', 'slow', 'expiry', 'close');
  const [confirmClose, setConfirmClose] = useState(false);
  const next = useEngine((s) => s.group?.card?.nextSession ?? null);
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
      <div className="check">
        <input
          id="auto-admit"
          type="checkbox"
          checked={rules.autoAdmit}
          disabled={busy === 'auto-admit'}
          aria-describedby="auto-admit-hint"
          onChange={(e) => {
            const on = e.target.checked; // read now: the box shows the roster's value again until the entry is in
            void dispatch('auto-admit', (en) => en.autoAdmit(on));
          }}
        />
        <label htmlFor="auto-admit">Admit newcomers automatically</label>
      </div>
      <p className="hint" id="auto-admit-hint">
        Anyone with a valid invite link who accepts the rules is let in without waiting for you; a locked session still lets nobody in.
      </p>
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
            <p className="hint">{next ? `Members will see the next session: ${describeMeetingTime(next.startsAt)}.` : 'No next session is set: you can set it under "Next session" first.'}</p>
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
  const me = useEngine((s) => s.me);
  const busy = useSession((s) => s.busy === 'read-note');
  const error = useErrorFrom('read-note');
  const nameOf = useNames();
  return (
    <section className="panel inbox" aria-labelledby="inbox-h">
      <h3 id="inbox-h">Private notes to you ({directs.length})</h3>
      {directs.length === 0 ? <p>No private notes. Members can write to the facilitators privately at any time.</p> : null}
      <ul className="plain">
        {[...directs].reverse().map((d) => (
          <li key={d.id} className={`direct ${d.kind === 'struggling' ? 'struggling' : 'breach'}${d.readAt === null ? ' unread' : ''}`}>
            <p>
              <strong>{nameOf(d.from)}</strong> <time dateTime={new Date(d.receivedAt).toISOString()}>{clockTime(d.receivedAt)}</time>:{' '}
              {d.kind === 'struggling' ? 'is struggling' : 'reports a breach of confidentiality'}
            </p>
            {d.text ? <p className="pre-line">{d.text}</p> : null}
            {d.readAt === null ? (
              <button type="button" className="primary" disabled={busy} onClick={() => void dispatch('read-note', (e) => e.acknowledgeNote(d.id))}>
                I have read this (tell {nameOf(d.from)})
              </button>
            ) : (
              <p className="hint">
                {d.readBy && d.readBy !== me ? `Read by ${nameOf(d.readBy)}.` : 'Read.'} {nameOf(d.from)} has been told.
              </p>
            )}
          </li>
        ))}
      </ul>
      <ErrorNotice error={error} />
    </section>
  );
}
