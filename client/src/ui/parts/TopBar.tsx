import { useApp } from '../../store/appStore';
import { QuickExitButton } from './QuickExitButton';

/** The banner on every screen, one row: crisis resources and quick exit. No group name: a glance at the screen must not tell a passer-by which group this is. */
export function TopBar() {
  const panel = useApp((s) => s.panel);
  const openPanel = useApp((s) => s.openPanel);
  const closePanel = useApp((s) => s.closePanel);
  return (
    <header className="top-bar">
      <p className="brand">
        Kindred
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
