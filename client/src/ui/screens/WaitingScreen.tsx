import { useEngine } from '../../store/sessionStore';

export function WaitingScreen() {
  const name = useEngine((s) => s.group?.card?.name ?? 'the group');
  return (
    <main id="main" className="screen narrow">
      <h1>Waiting room</h1>
      <p role="status">
        You are waiting to join {name}. A facilitator will let you in soon. You can keep this tab open; nothing
        else is needed.
      </p>
      <p className="hint">The facilitators see the name you chose, encrypted for them alone: the server never sees it.</p>
      <p className="hint">If you need to leave quickly, use Quick exit or press Escape twice.</p>
    </main>
  );
}
