import { useEffect } from 'react';
import { useApp } from '../../store/appStore';
import { useIdentity } from '../../store/identityStore';

/** On the start page, when this browser keeps a key: the way back to its groups, no invite link needed. */
export function MyGroupsLink() {
  const status = useIdentity((s) => s.status);
  const hasSaved = useIdentity((s) => s.hasSaved);
  const check = useIdentity((s) => s.check);
  const navigate = useApp((s) => s.navigate);
  useEffect(() => {
    if (status === 'unknown') void check();
  }, [status, check]);
  if (!hasSaved) return null;
  return (
    <section aria-labelledby="groups-h" className="panel">
      <h2 id="groups-h">My groups</h2>
      <p>Your key is kept in this browser. Unlock it to see your groups and open the next session.</p>
      <button type="button" className="primary" onClick={() => navigate({ name: 'groups' })}>
        My groups
      </button>
    </section>
  );
}
