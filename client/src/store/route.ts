/**
 * Hash routes. The invite secret lives in the URL fragment (#/join/<fragment>), which browsers never send to a
 * server. In-app navigation replaces the history entry instead of pushing one, so a tab keeps a single Kindred entry
 * that quick exit can replace.
 */
export type Route =
  | { name: 'home' }
  | { name: 'create' }
  | { name: 'join'; fragment: string | null }
  | { name: 'group' }
  | { name: 'groups' };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, '');
  if (path === '/create') return { name: 'create' };
  if (path === '/group') return { name: 'group' };
  if (path === '/groups') return { name: 'groups' };
  if (path === '/join') return { name: 'join', fragment: null };
  if (path.startsWith('/join/')) {
    const fragment = path.slice('/join/'.length);
    return { name: 'join', fragment: fragment.length > 0 ? fragment : null };
  }
  return { name: 'home' };
}

/** The hash shown for a route: never the invite secret (it is kept in memory once read). */
export function routeHash(route: Route): string {
  switch (route.name) {
    case 'home':
      return '#/';
    case 'create':
      return '#/create';
    case 'join':
      return '#/join';
    case 'group':
      return '#/group';
    case 'groups':
      return '#/groups';
  }
}

/**
 * Index of the tab's current Kindred history entry: 0 for the first, one more for each entry a same-tab opening of a
 * link added (the browser pushes one for a pasted link; the app itself only ever replaces). Kept in the entry's
 * state, so a reload and Back/Forward find it again; quick exit goes back over all of them before it leaves.
 */
let entryIndex = indexIn(typeof window === 'undefined' ? null : window.history.state) ?? 0;

function indexIn(state: unknown): number | null {
  if (typeof state !== 'object' || state === null || !('kindredEntry' in state)) return null;
  const n = (state as { kindredEntry: unknown }).kindredEntry;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : null;
}

/** On a hashchange: an entry without our state is new (a link opened in this tab); one with it was gone back to. */
export function followHistoryEntry(): void {
  if (typeof window === 'undefined') return;
  entryIndex = indexIn(window.history.state) ?? entryIndex + 1;
}

/** How many Kindred entries of this tab lie behind the current one. */
export function kindredEntriesBehind(): number {
  return entryIndex;
}

/** Shows `route` in the address bar without adding a history entry. */
export function showRoute(route: Route): void {
  if (typeof window === 'undefined') return;
  window.history.replaceState({ kindredEntry: entryIndex }, '', routeHash(route));
}
