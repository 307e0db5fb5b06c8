/**
 * A reloaded or restored tab comes back to its place (tabPlace.ts): the same key (a one-off key from the tab's
 * sessionStorage at once; a kept key once unlocked), the group opened again without the link, the same name, and the
 * session entered again with the same session key: no knock, and what the relay still buffers back. A tab that was
 * given an invite link instead follows the link, and the kept place is dropped; so is one that cannot come back (the
 * session is over, the link no longer works, another key was chosen).
 */
import { wipe } from '@kindred/shared/crypto';
import { fromBase64Url } from '@kindred/shared/encoding';
import { isKindredError } from '@kindred/shared/errors';
import type { TabPlace } from '@kindred/shared/protocol';
import { appStore } from './appStore';
import { currentEngine } from './engineHost';
import { identityStore } from './identityStore';
import { noteOpenedWith } from './placeKeeper';
import { dispatch, sessionStore } from './sessionStore';
import { clearPlace, readPlace } from './tabPlace';

/** An invite link was opened in this tab (it comes first: the person asked for it). */
function followsALink(): boolean {
  const route = appStore.getState().route;
  return route.name === 'join' && route.fragment !== null;
}

/** Called once at start-up, after the route is read and before the first render (main.tsx). */
export function resumePlaceAtStart(): void {
  const place = readPlace();
  if (!place) return;
  if (followsALink()) return clearPlace();
  const seedText = place.identitySeed;
  if (seedText !== undefined) {
    appStore.setState({ resuming: 'opening' });
    const seed = fromBase64Url(seedText);
    void identityStore
      .getState()
      .restoreOneOff(seed)
      .then((ok) => (ok ? comeBack(place) : giveUp()))
      .finally(() => wipe(seed));
    return;
  }
  // A kept key: the identity gate asks for the passphrase; the place is taken back once this same key is unlocked.
  appStore.setState({ resuming: 'unlock' });
  const off = identityStore.subscribe((s) => {
    if (s.status !== 'ready') return;
    off();
    if (s.kind === 'saved' && currentEngine()?.me === place.session.member && !followsALink()) void comeBack(place);
    else giveUp();
  });
}

/** The place being taken back, while the relay has not answered (ResumeScreen's "Try again"). */
let stalled: TabPlace | null = null;

/** Tries again to take back the place after the relay did not answer. */
export function resumeAgain(): void {
  if (stalled) void comeBack(stalled);
}

async function comeBack(place: TabPlace): Promise<void> {
  stalled = null;
  appStore.setState({ resuming: 'opening' });
  appStore.getState().navigate({ name: 'group' });
  let over = false;
  let unanswered = false;
  const ok = await dispatch('resume-place', async (engine) => {
    try {
      if ('fragment' in place.group) {
        await engine.openInvite(place.group.fragment);
        noteOpenedWith(place.group.fragment);
      } else {
        await engine.reopenGroup(place.group.groupId);
      }
      engine.setDisplayName(place.displayName);
      if (place.invites) engine.restoreInvites(place.invites);
      await engine.restoreSession(place.session);
    } catch (e) {
      over = isKindredError(e, 'SESSION_NOT_OPEN');
      unanswered = isKindredError(e, 'UNAVAILABLE');
      throw e;
    }
  });
  if (!ok && unanswered) {
    // A poor connection: the place stays (a reload later still works), and the screen offers to try again.
    stalled = place;
    appStore.setState({ resuming: 'stalled' });
    return;
  }
  appStore.setState({ resuming: null });
  if (ok) return;
  clearPlace();
  // The session ended while the tab was away: the screen says so (no session right now); nothing failed.
  if (over) sessionStore.getState().clearError();
  // The group did not open again (the link no longer works): the page asks for the link, as after any reload.
  if (currentEngine()?.getState().phase === 'idle') appStore.getState().navigate({ name: 'join', fragment: null });
}

function giveUp(): void {
  clearPlace();
  appStore.setState({ resuming: null });
}
