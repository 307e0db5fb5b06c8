import { useApp } from '../../store/appStore';
import { useEngine } from '../../store/sessionStore';
import { QuickExitButton } from './QuickExitButton';

/** The banner on every screen: where you are, crisis resources and quick exit. */
export function TopBar() {
  const groupName = useEngine((s) => s.group?.card?.name ?? null);
  const panel = useApp((s) => s.panel);
  const openPanel = useApp((s) => s.openPanel);
  const closePanel = useApp((s) => s.closePanel);
  return (
    <header className="top-bar">
      <p className="brand">
        Kindred{groupName ? <span className="group-name"> · {groupName}</span> : null}
      </p>
      <nav className="top-actions" aria-label="Safety">
        <button
          type="button"
          className="crisis-button"
          aria-expanded={panel === 'crisis'}
          onClick={() => (panel === 'crisis' ? closePanel() : openPanel('crisis'))}
        >
          Crisis help
        </button>
        <QuickExitButton />
      </nav>
    </header>
  );
}
