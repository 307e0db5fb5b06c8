import { useEffect, useState } from 'react';
import type { StoredGroup } from '../../engine';
import { useApp } from '../../store/appStore';
import { keptGroups } from '../../store/keptGroups';
import { useIdentity } from '../../store/identityStore';
import { dispatch, useErrorFrom, useSession } from '../../store/sessionStore';
import { ErrorNotice } from '../parts/ErrorNotice';
import { IdentityGate } from '../parts/IdentityGate';

/**
 * #/groups: the groups this browser keeps for its kept key (the device vault, sealed at rest), listed once the key is
 * unlocked. Opening one needs no invite link: a facilitator lands in the group's lobby and opens the next session.
 */
export function MyGroupsScreen() {
  const status = useIdentity((s) => s.status);
  const kind = useIdentity((s) => s.kind);
  const check = useIdentity((s) => s.check);
  const navigate = useApp((s) => s.navigate);
  const [groups, setGroups] = useState<StoredGroup[] | null>(null);
  const opening = useSession((s) => s.busy === 'reopen-group');
  const error = useErrorFrom('reopen-group');

  useEffect(() => {
    if (status === 'unknown') void check();
  }, [status, check]);

  useEffect(() => {
    if (status !== 'ready' || kind !== 'saved') return;
    let live = true;
    void keptGroups().then((list) => live && setGroups(list));
    return () => {
      live = false;
    };
  }, [status, kind]);

  if (status === 'locked') return <IdentityGate />;
  if (status === 'absent' || (status === 'ready' && kind !== 'saved')) {
    return (
      <main id="main" className="screen narrow">
        <h1>My groups</h1>
        <p>No key is kept in this browser, so no groups are kept either. Keep your key (with a passphrase) the next time you facilitate or join, and your groups will be listed here.</p>
        <button type="button" onClick={() => navigate({ name: 'home' })}>
          Back to the start
        </button>
      </main>
    );
  }
  if (status !== 'ready' || groups === null) {
    return (
      <main id="main" className="screen narrow">
        <h1>My groups</h1>
        <p role="status">Opening the groups kept in this browser…</p>
      </main>
    );
  }

  const reopen = (g: StoredGroup) => {
    void dispatch('reopen-group', (client) => client.reopenGroup(g.groupId)).then((ok) => {
      if (ok) navigate({ name: 'group' });
    });
  };

  return (
    <main id="main" className="screen narrow">
      <h1>My groups</h1>
      <p>Kept in this browser, encrypted with your passphrase. Nothing here is readable without it.</p>
      {groups.length === 0 ? (
        <p>No groups yet. Start one, or open an invite link: it will be kept here.</p>
      ) : (
        <ul className="group-list" aria-label="Your groups">
          {groups.map((g) => (
            <li key={g.groupId} className="panel">
              <h2>{g.name || 'A group without a name'}</h2>
              <button type="button" className="primary" disabled={opening} onClick={() => reopen(g)}>
                {opening ? 'Opening…' : `Open ${g.name || 'this group'}`}
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorNotice error={error} />
      <button type="button" onClick={() => navigate({ name: 'home' })}>
        Back to the start
      </button>
    </main>
  );
}
