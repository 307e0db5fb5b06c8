import { useState } from 'react';
import { dispatch, useEngine, useErrorFrom, useSession } from '../../store/sessionStore';
import { ErrorNotice } from './ErrorNotice';
import { QrImage } from './QrImage';

export function inviteUrl(fragment: string, origin: string = window.location.origin, path: string = window.location.pathname): string {
  return `${origin}${path}#/join/${fragment}`;
}

/** Facilitators: make, share (link and QR) and revoke invite links. */
export function InvitePanel() {
  const invites = useEngine((s) => s.invites);
  const busy = useSession((s) => s.busy);
  const error = useErrorFrom('invite', 'revoke');
  const [copied, setCopied] = useState<string | null>(null);
  const live = invites.filter((i) => !i.revoked);

  const copy = (id: string, url: string) => {
    void navigator.clipboard?.writeText(url).then(
      () => setCopied(id),
      () => setCopied(null),
    );
  };

  return (
    <section className="panel" aria-labelledby="invites-h">
      <h2 id="invites-h">Invite links</h2>
      <p className="hint">
        Anyone with a link can read the group card and knock; you still admit each person. Share links privately.
        Keep one for yourself: you open it to come back to the group.
      </p>
      <button type="button" disabled={busy === 'invite'} onClick={() => void dispatch('invite', (e) => e.createInvite())}>
        Make a new invite link
      </button>
      <ErrorNotice error={error} />
      {live.length === 0 ? <p>No active invite links.</p> : null}
      <ul className="invite-list">
        {live.map((invite) => {
          const url = inviteUrl(invite.fragment);
          return (
            <li key={invite.inviteId} className="invite">
              <label htmlFor={`invite-${invite.inviteId}`}>Invite link</label>
              <input id={`invite-${invite.inviteId}`} readOnly value={url} onFocus={(e) => e.target.select()} />
              <div className="row">
                <button type="button" onClick={() => copy(invite.inviteId, url)}>
                  Copy link
                </button>
                <button
                  type="button"
                  className="danger"
                  disabled={busy === 'revoke'}
                  onClick={() => void dispatch('revoke', (e) => e.revokeInvite(invite.inviteId))}
                >
                  Revoke this link
                </button>
                <span role="status">{copied === invite.inviteId ? 'Copied.' : ''}</span>
              </div>
              <QrImage value={url} label="QR code of the invite link" />
            </li>
          );
        })}
      </ul>
    </section>
  );
}
