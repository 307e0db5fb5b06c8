/**
 * Quick exit: leave at once for a neutral page and leave nothing of the session in the tab.
 *
 * Where to: a built-in page of recipes (public/recipes.html, same origin, static, no script). Why not about:blank:
 * a blank tab looks like something was just hidden, which is what someone looking over a shoulder should not see.
 * Why not a well-known outside site: it would be a request to another host (the client talks to the relay only)
 * and can be slow on a poor connection; the built-in page is small and cached.
 *
 * Order: first stop rendering (nothing sensitive stays on screen), then wipe the engine (keys, plaintext, socket)
 * and every store, then `location.replace`, which swaps the current history entry so Back does not return here.
 * In-app navigation never pushes history entries (store/route.ts); a link opened again in the same tab does, so quick
 * exit first goes back to the tab's first Kindred entry (route.ts counts them) and replaces that one: Back then leaves
 * Kindred behind.
 * What it cannot remove: the browser's own global history list (the person can clear it; the help text says so).
 */
import { appStore } from './appStore';
import { identityStore } from './identityStore';
import { sessionStore } from './sessionStore';
import { wipeEngine } from './engineHost';
import { kindredEntriesBehind } from './route';
import { clearPlace } from './tabPlace';

export const NEUTRAL_PAGE = '/recipes.html';

let leave: (url: string) => void = (url) => window.location.replace(url);

/** Tests replace the navigation (jsdom cannot navigate). */
export function setLeaveForTests(fn: (url: string) => void): void {
  leave = fn;
}

export function quickExit(): void {
  appStore.setState({ exited: true, panel: null, safetyWith: null });
  try {
    clearPlace();
    wipeEngine();
    identityStore.getState().reset();
    sessionStore.getState().reset();
    appStore.getState().reset();
    document.title = 'Recipes';
  } finally {
    leaveFromFirstEntry();
  }
}

/** Goes back over the Kindred entries this tab gathered, then replaces the first one with the neutral page. */
function leaveFromFirstEntry(): void {
  const behind = kindredEntriesBehind();
  if (behind === 0) return leave(NEUTRAL_PAGE);
  let left = false;
  const go = (): void => {
    if (left) return;
    left = true;
    leave(NEUTRAL_PAGE);
  };
  window.addEventListener('popstate', go, { once: true });
  setTimeout(go, 1_000); // should the browser not report the step back, leave from where we are
  window.history.go(-behind);
}

/** Esc pressed twice in a row (within `windowMs`) triggers quick exit. Returns the keydown handler to install. */
export function doubleEscape(onTrigger: () => void, now: () => number = Date.now, windowMs = 1500): (e: KeyboardEvent) => void {
  let last = -Infinity;
  return (e) => {
    if (e.key !== 'Escape') {
      last = -Infinity;
      return;
    }
    const t = now();
    if (t - last <= windowMs) {
      last = -Infinity;
      onTrigger();
    } else {
      last = t;
    }
  };
}
