import { useState, type FormEvent } from 'react';
import { useApp } from '../../store/appStore';
import { parseRoute } from '../../store/route';
import { MyGroupsLink } from '../parts/MyGroupsLink';

/** The landing page: join with a link, or start a group. */
export function HomeScreen() {
  const navigate = useApp((s) => s.navigate);
  const [link, setLink] = useState('');
  const [problem, setProblem] = useState('');

  const join = (e: FormEvent) => {
    e.preventDefault();
    const hashAt = link.indexOf('#');
    const route = hashAt >= 0 ? parseRoute(link.slice(hashAt)) : null;
    if (!route || route.name !== 'join' || !route.fragment) {
      setProblem('That does not look like a Kindred invite link. Copy the whole link you were sent, including the part after #.');
      return;
    }
    setProblem('');
    navigate(route);
  };

  return (
    <main id="main" className="screen narrow">
      <h1>Kindred</h1>
      <p>A private space for support groups. Messages are encrypted on your device; the server cannot read them, and they disappear after the session.</p>
      <MyGroupsLink />
      <section aria-labelledby="join-h" className="panel">
        <h2 id="join-h">Join a group</h2>
        <p>Open the invite link your facilitator sent you, or paste it here.</p>
        <form onSubmit={join} className="stack">
          <label htmlFor="invite-link">Invite link</label>
          <input
            id="invite-link"
            value={link}
            autoComplete="off"
            aria-describedby="invite-problem"
            aria-invalid={problem !== ''}
            onChange={(e) => setLink(e.target.value)}
          />
          <p id="invite-problem" className="hint" aria-live="polite">
            {problem}
          </p>
          <button type="submit" className="primary">
            Open the invite
          </button>
        </form>
      </section>
      <section aria-labelledby="start-h" className="panel">
        <h2 id="start-h">Facilitate a group</h2>
        <p>Write the ground rules, choose how long messages last, and invite people.</p>
        <button type="button" onClick={() => navigate({ name: 'create' })}>
          Start a group
        </button>
      </section>
    </main>
  );
}
