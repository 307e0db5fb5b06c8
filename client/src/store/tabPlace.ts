/**
 * This tab's place in its session, in the tab's sessionStorage under one key (the schema `TabPlace`, checked when read
 * back: storage is not trusted either). sessionStorage is per tab and survives a reload or a restored tab, not the tab
 * itself. It holds the session key's seed and, for a one-off key, the identity's seed: it is written only while the
 * tab is in a joined session, and deleted when the session is wiped and by the quick exit (placeKeeper.ts,
 * quickExit.ts). Nothing is ever written to localStorage or IndexedDB for this.
 */
import { TabPlace } from '@kindred/shared/protocol';

export const TAB_PLACE_KEY = 'kindred.place';

function storage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.sessionStorage;
  } catch {
    return null; // storage disabled: a reload simply starts over
  }
}

/** The kept place, or null (none, or one that does not pass the schema: then it is deleted). */
export function readPlace(): TabPlace | null {
  const s = storage();
  const text = s?.getItem(TAB_PLACE_KEY);
  if (!s || text === null || text === undefined) return null;
  try {
    const parsed = TabPlace.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: dropped below
  }
  s.removeItem(TAB_PLACE_KEY);
  return null;
}

export function writePlace(place: TabPlace): void {
  try {
    storage()?.setItem(TAB_PLACE_KEY, JSON.stringify(place));
  } catch {
    // full or refused: the tab just cannot come back after a reload; never leave a stale place behind
    clearPlace();
  }
}

export function clearPlace(): void {
  try {
    storage()?.removeItem(TAB_PLACE_KEY);
  } catch {
    // nothing kept, nothing to clear
  }
}
