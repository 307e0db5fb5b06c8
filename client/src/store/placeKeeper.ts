/**
 * Keeps this tab's place (tabPlace.ts) in step with the engine: written whenever the engine says what a reload would
 * need changed (`session.snapshot`) while the tab is in a joined session, deleted the moment the session is wiped (a
 * null session id: the session's end, a removal, a ban, leaving) or the engine itself is (quick exit, a new identity).
 */
import { toBase64Url } from '@kindred/shared/encoding';
import type { TabPlace } from '@kindred/shared/protocol';
import type { KindredClient } from '../engine';
import { onEngineChange } from './engineHost';
import { identityStore, oneOffSeed } from './identityStore';
import { clearPlace, writePlace } from './tabPlace';

/** How the group opens again after a reload: a kept key's vault keeps it; a one-off key needs an invite link. */
function groupHandle(engine: KindredClient, openedWith: string | null): TabPlace['group'] | null {
  const state = engine.getState();
  const groupId = state.group?.groupId;
  if (!groupId) return null;
  if (identityStore.getState().kind === 'saved') return { groupId };
  const fragment = openedWith ?? state.invites.find((i) => !i.revoked)?.fragment;
  return fragment ? { fragment } : null;
}

/** The place to keep now, or null when there is none (not in a joined session, no way back to the group). */
export function placeOf(engine: KindredClient, openedWith: string | null): TabPlace | null {
  const session = engine.sessionSnapshot();
  const group = groupHandle(engine, openedWith);
  const displayName = engine.displayName;
  if (!session || !group || !displayName) return null;
  const seed = oneOffSeed();
  const invites = engine
    .getState()
    .invites.filter((i) => !i.revoked)
    .slice(-16)
    .map((i) => i.fragment);
  return { v: session.v, ...(seed ? { identitySeed: toBase64Url(seed) } : {}), group, displayName, ...(invites.length > 0 ? { invites } : {}), session };
}

/** The invite link this tab opened last (kept in memory; written to the place only with a joined session). */
let openedWith: string | null = null;

/** Called by whoever opens an invite in this tab (flows.ts). */
export function noteOpenedWith(fragment: string): void {
  openedWith = fragment;
}

/**
 * Saves at most this often (the first change at once, later ones together at the end of the interval): a snapshot of
 * a large session is big, and a busy one changes with every message. What the last second adds is covered after a
 * reload by the relay's own buffer (sealed keys for 120 s); a wipe deletes the place at once, never later.
 */
export const SAVE_EVERY_MS = 1_000;

/** Starts following the current engine (installEngine.ts, once); returns what stops it. */
export function keepPlaceOfEachEngine(): () => void {
  let off: (() => void) | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let savedAt = -Infinity;
  const cancel = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  };
  const save = (engine: KindredClient): void => {
    savedAt = Date.now();
    const place = placeOf(engine, openedWith);
    if (place) writePlace(place);
    else clearPlace();
  };
  return onEngineChange((engine) => {
    off?.();
    off = null;
    cancel();
    savedAt = -Infinity;
    if (!engine) {
      clearPlace();
      openedWith = null;
      return;
    }
    off = engine.on('session.snapshot', ({ sessionId }) => {
      if (sessionId === null) {
        cancel();
        return clearPlace();
      }
      if (timer !== null) return;
      const wait = savedAt + SAVE_EVERY_MS - Date.now();
      if (wait <= 0) return save(engine);
      timer = setTimeout(() => {
        timer = null;
        save(engine);
      }, wait);
    });
  });
}
