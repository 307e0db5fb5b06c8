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

/** Shows `route` in the address bar without adding a history entry. */
export function showRoute(route: Route): void {
  if (typeof window === 'undefined') return;
  window.history.replaceState(null, '', routeHash(route));
}
