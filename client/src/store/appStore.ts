/** UI state that is not the engine's: the route, which panel is open, and whether the tab has been left. */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { showRoute, type Route } from './route';

export type Panel = 'crisis' | 'support' | 'safety' | 'invite' | null;

export interface AppStoreState {
  route: Route;
  panel: Panel;
  /** Member whose safety number is shown. */
  safetyWith: string | null;
  /** Set by quick exit: nothing is rendered any more. */
  exited: boolean;
  navigate(route: Route): void;
  /** Follows a hash the person typed or pasted (a new invite link). */
  followHash(route: Route): void;
  openPanel(panel: Exclude<Panel, null>, safetyWith?: string): void;
  closePanel(): void;
  reset(): void;
}

export const appStore = createStore<AppStoreState>()((set) => ({
  route: { name: 'home' },
  panel: null,
  safetyWith: null,
  exited: false,
  navigate(route) {
    showRoute(route);
    set({ route, panel: null });
  },
  followHash(route) {
    set({ route, panel: null });
  },
  openPanel(panel, safetyWith) {
    set({ panel, safetyWith: safetyWith ?? null });
  },
  closePanel() {
    set({ panel: null, safetyWith: null });
  },
  reset() {
    set({ route: { name: 'home' }, panel: null, safetyWith: null });
  },
}));

export function useApp<T>(selector: (state: AppStoreState) => T): T {
  return useStore(appStore, selector);
}
