import { quickExit } from '../../store/quickExit';

/** Always visible. Esc pressed twice does the same (installed once in App). */
export function QuickExitButton() {
  return (
    <>
      <button type="button" className="quick-exit" onClick={quickExit} aria-describedby="quick-exit-hint">
        Quick exit
      </button>
      <span id="quick-exit-hint" className="visually-hidden">
        Leaves at once for a recipes page and wipes this session from the tab. Pressing Escape twice does the same.
      </span>
    </>
  );
}
