/** UI state that is not the engine's: the route, which panel is open, and whether the tab has been left. */
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { showRoute, type Route } from './route';

export type Panel = 'crisis' | 'safety' | null;
/**
 * A reloaded tab on its way back to its place (placeResume.ts): 'unlock' while a kept key waits for its passphrase,
 * 'opening' while the group and the session are opened again, 'stalled' when the relay did not answer (the place is
 * kept: try again); null otherwise.
 */
export type Resuming = 'unlock' | 'opening' | 'stalled' | null;
/** The facilitator's console: one tab at a time. */
export type ConsoleTab = 'waiting' | 'notes' | 'people' | 'session';

export interface AppStoreState {
  route: Route;
  panel: Panel;
  /** Member whose safety number is shown. */
  safetyWith: string | null;
  /** Phones: the sheet with the people and the tools (always shown beside the chat on wide screens). */
  sideOpen: boolean;
  consoleTab: ConsoleTab;
  /** A short sound for a knock or a private note; off until the facilitator turns it on (in memory only). */
  sound: boolean;
  /** Set by quick exit: nothing is rendered any more. */
  exited: boolean;
  resuming: Resuming;
  navigate(route: Route): void;
  /** Follows a hash the person typed or pasted (a new invite link). */
  followHash(route: Route): void;
  openPanel(panel: Exclude<Panel, null>, safetyWith?: string): void;
  closePanel(): void;
  setSideOpen(open: boolean): void;
  /** Shows a console tab (and, on a phone, opens the sheet it is in). */
  showTab(tab: ConsoleTab): void;
  setSound(on: boolean): void;
  reset(): void;
}

export const appStore = createStore<AppStoreState>()((set) => ({
  route: { name: 'home' },
  panel: null,
  safetyWith: null,
  sideOpen: false,
  consoleTab: 'waiting',
  sound: false,
  exited: false,
  resuming: null,
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
  setSideOpen(open) {
    set({ sideOpen: open });
  },
  showTab(tab) {
    set({ consoleTab: tab, sideOpen: true });
  },
  setSound(on) {
    set({ sound: on });
  },
  reset() {
    set({ route: { name: 'home' }, panel: null, safetyWith: null, sideOpen: false, consoleTab: 'waiting', sound: false, resuming: null });
  },
}));

export function useApp<T>(selector: (state: AppStoreState) => T): T {
  return useStore(appStore, selector);
}
