/**
 * The web client in a real browser: Debian's Chromium (playwright-core) against the real relay (buildApp, SQLite in
 * memory) serving the BUILT client/dist under its strict CSP (browserRig.ts). A whole session as three people see it,
 * each in their own browser context (a facilitator, a member and a second member); quick exit; a rolled-back roster
 * refused. Every screen passes axe and the overflow check at 1280x800 and 360 px and is photographed into
 * test-results/screens/; every tab is watched (no request to any origin but the relay's, no CSP violation, no
 * uncaught error). Waiting is always for a state of the page (locators), never for a fixed time.
 */
import { describe, expect, it } from 'vitest';
import { SealedVault, WrappedIdentity, type SignedRosterEntry } from '@kindred/shared/protocol';
import { useBrowserRig } from './browserRig';
import { admit, canary, facilitatorAndMember, composer, consoleTab, createGroup, heading, joinToWaitingRoom, log, noWebStorage, openSession, send, seen } from './pageActions';
import { requireBuiltClient } from './relayWithClient';
import { domText, indexedDbRecords, tracesOf } from './tabTraces';

const rig = useBrowserRig();

describe('a session in Chromium against the real relay', () => {
  it('is tested against the built client (client/dist)', () => {
    requireBuiltClient();
  });

  it('runs a whole session: rules first, waiting room, chat, mute, remove, end, all wiped', async () => {
    const groupName = canary('Tuesday circle');
    const facName = canary('Ana');
    const bo = canary('Bo');
    const cy = canary('Cy');
    const f = await rig.newPerson('facilitator');
    const m = await rig.newPerson('member');
    const s = await rig.newPerson('second member');

    const invite = await createGroup(rig, f, groupName, facName, { shots: true });
    // The invite secret lives in the fragment only: the query and path carry nothing.
    expect(new URL(invite).search).toBe('');
    await openSession(f);
    await rig.screen(f, '06-facilitator-session');

    // The member: the rules come before anything else of the session.
    await rig.open(m, invite);
    await heading(m, `Before you join ${groupName}`).waitFor();
    expect(new URL(m.url()).hash).toBe('#/join'); // the invite secret is out of the address bar at once
    const sign = m.getByRole('button', { name: 'Sign and continue' });
    expect(await sign.isDisabled()).toBe(true);
    const notYet = async () => {
      expect(await m.getByRole('log').count()).toBe(0);
      expect(await composer(m).count()).toBe(0);
      expect(await m.getByRole('heading', { name: /^People/ }).count()).toBe(0);
      expect(await m.getByRole('heading', { name: 'Waiting room' }).count()).toBe(0);
      expect(await m.getByLabel(/^Name the group will see/).count()).toBe(0);
      expect(await domText(m)).not.toContain(facName);
    };
    await notYet();
    // Asking for the group's page directly still shows the rules, nothing else.
    await m.evaluate(() => {
      window.location.hash = '#/group';
    });
    await expect.poll(() => new URL(m.url()).hash).toBe('#/group');
    await heading(m, `Before you join ${groupName}`).waitFor();
    await notYet();
    await rig.screen(m, '04-rules');
    await m.getByRole('checkbox').check();
    await sign.click();
    await heading(m, 'Your name for this session').waitFor();
    await rig.screen(m, '05-enter-name');
    await m.getByLabel(/^Name the group will see/).fill(bo);
    await m.getByRole('button', { name: 'Go to the waiting room' }).click();
    await heading(m, 'Waiting room').waitFor();
    expect(await m.getByRole('log').count()).toBe(0);
    expect(await composer(m).count()).toBe(0);
    await rig.screen(m, '07-waiting-room');
    await consoleTab(f, 'Waiting');
    await f.getByRole('heading', { name: 'Waiting room (1)' }).waitFor();
    expect(await f.getByText('signed the agreement').count()).toBe(1);
    await rig.screen(f, '08-facilitator-knock');

    await m.getByRole('button', { name: 'Crisis help' }).click();
    await m.getByRole('heading', { name: 'Help right now' }).waitFor();
    await rig.screen(m, '09-crisis-panel');
    await m.getByRole('button', { name: 'Close', exact: true }).click();

    await admit(f, m, bo);
    const m1 = canary('Bo: this week was hard');
    const f1 = canary('Ana: thank you for sharing');
    await send(m, m1);
    await seen(f, m1);
    await send(f, f1);
    await seen(m, f1);
    await rig.screen(m, '10-member-session');

    // Mute: the member's composer says so, and nothing can be sent.
    await f.getByRole('button', { name: `Mute ${bo}`, exact: true }).click();
    await m.getByText('A facilitator has muted you, so you cannot send messages.', { exact: false }).waitFor();
    await log(m).getByText(`${facName} muted you.`).waitFor(); // the change is announced, never silent
    expect(await composer(m).isDisabled()).toBe(true);
    expect(await m.getByRole('button', { name: 'Send', exact: true }).isDisabled()).toBe(true);
    // Even with the disabled attribute stripped, Enter sends nothing: the text stays in the box, not in the log.
    const mutedAttempt = canary('Bo: sent while muted');
    await composer(m).evaluate((el) => el.removeAttribute('disabled'));
    await composer(m).fill(mutedAttempt);
    await composer(m).press('Enter');
    expect(await composer(m).inputValue()).toBe(mutedAttempt);
    expect(await log(m).getByText(mutedAttempt).count()).toBe(0);
    await rig.screen(m, '11-member-muted');

    // The second member: admitted, then removed.
    await joinToWaitingRoom(rig, s, invite, groupName, cy);
    await admit(f, s, cy);
    const f2 = canary('Ana: welcome Cy');
    await send(f, f2);
    await seen(s, f2);
    await seen(m, f2);
    await rig.screen(f, '12-facilitator-session-three');
    // The Session tab: talk share of three people (a table that must fit a phone), slow mode, expiry, lock.
    await f.getByRole('tab', { name: /^Session/ }).click();
    await f.getByRole('heading', { name: 'Talk share' }).waitFor();
    await rig.screen(f, '12b-facilitator-session-tab');
    await f.getByRole('tab', { name: /^People/ }).click();
    await f.getByRole('button', { name: `Remove ${cy}`, exact: true }).click();
    await f.getByRole('button', { name: `Yes, remove ${cy}`, exact: true }).click();
    await heading(s, 'Session closed').waitFor();
    await s.getByText('A facilitator has removed you from this session.').waitFor();
    expect(await tracesOf(s, [m1, f1, f2])).toEqual([]);
    await rig.screen(s, '13-removed');

    // The group goes on without them: unmuted, the member writes again (under the new key) and the facilitator reads it.
    await f.getByRole('button', { name: `Unmute ${bo}`, exact: true }).click();
    await expect.poll(() => composer(m).isEnabled()).toBe(true);
    const m2 = canary('Bo: glad to be here');
    await send(m, m2);
    await seen(f, m2);
    // Had the muted attempt left the member's tab, it would have reached the facilitator before this later message.
    expect(await log(f).getByText(mutedAttempt).count()).toBe(0);
    expect(await tracesOf(s, [m2])).toEqual([]);

    // The facilitator ends the session: every tab is wiped.
    await consoleTab(f, 'Session');
    await f.getByRole('button', { name: 'Close the circle (end the session)' }).click();
    await f.getByRole('button', { name: 'Yes, close the circle' }).click();
    await heading(f, 'Session closed').waitFor();
    await heading(m, 'Session closed').waitFor();
    await m.getByText('The circle has closed. Thank you for being here.').waitFor();
    const messages = [m1, f1, f2, m2, mutedAttempt];
    for (const page of [f, m, s]) {
      expect(await tracesOf(page, messages)).toEqual([]);
      await noWebStorage(page);
    }
    await rig.screen(m, '14-session-closed');
    await rig.screen(f, '15-facilitator-closed');

    // The relay never saw any of it in clear (its debug log included).
    expect(rig.ready().relay.logs.length).toBeGreaterThan(0);
    const relayLog = rig.ready().relay.logs.join('\n');
    for (const secret of [...messages, groupName, facName, bo, cy]) expect(relayLog).not.toContain(secret);
  }, 120_000);

  it('quick exit (button, and Esc Esc) leaves no trace in the tab', async () => {
    const groupName = canary('Thursday circle');
    const facName = canary('Dee');
    const eli = canary('Eli');
    // This member keeps their key (passphrase-wrapped) in the browser: the one thing allowed to stay.
    const pair = { label: 'quick exit', group: groupName, facilitator: facName, member: eli, keepKeyPassphrase: 'correct horse battery staple' };
    const { fac: f, member: m } = await facilitatorAndMember(rig, pair);
    const m1 = canary('Eli: I should not be seen here');
    const f1 = canary('Dee: take your time');
    await send(m, m1);
    await seen(f, m1);
    await send(f, f1);
    await seen(m, f1);
    const secrets = [groupName, facName, eli, m1, f1];

    // Esc Esc for the member, the button for the facilitator.
    await m.keyboard.press('Escape');
    await m.keyboard.press('Escape');
    await f.getByRole('button', { name: 'Quick exit' }).click();
    for (const page of [m, f]) {
      await page.waitForURL((u) => u.pathname === '/recipes.html');
      await page.getByRole('heading', { level: 1, name: 'Easy weeknight recipes' }).waitFor();
      expect(await page.title()).toBe('Easy weeknight recipes');
      expect(await tracesOf(page, secrets)).toEqual([]);
      await noWebStorage(page);
      // Kindred's one history entry was replaced (in-app navigation added none) ...
      expect(await page.evaluate(() => window.history.length)).toBe(rig.historyAtOpen(page));
    }
    await rig.screen(m, '16-after-quick-exit');

    // IndexedDB: nothing for the facilitator (one-off key); for the member, the wrapped key and its sealed vault.
    expect(await indexedDbRecords(f)).toEqual([]);
    const kept = await indexedDbRecords(m);
    expect(kept.map((r) => [r.db, r.store, r.key])).toEqual([
      ['kindred', 'identity', 'device'],
      ['kindred', 'identity', 'vault'],
    ]);
    // Exactly the WrappedIdentity and SealedVault shapes (strict schemas: no extra field could carry anything else).
    expect(WrappedIdentity.safeParse(JSON.parse(kept[0]!.value)).success).toBe(true); // two records, checked just above
    expect(SealedVault.safeParse(JSON.parse(kept[1]!.value)).success).toBe(true);
    for (const record of kept) for (const secret of secrets) expect(record.value).not.toContain(secret);

    // ... so Back leads to what the tab showed before Kindred (its blank start page), never to the session.
    for (const page of [m, f]) {
      await page.goBack();
      expect(page.url()).toBe('about:blank');
      const dom = await domText(page);
      for (const secret of secrets) expect(dom).not.toContain(secret);
    }
  }, 120_000);

  it('a reloaded kept-key member refuses a rolled-back roster served to it, and says so', async () => {
    const groupName = canary('Friday circle');
    const facName = canary('Fen');
    const gus = canary('Gus');
    const passphrase = 'correct horse battery staple';
    const pair = { label: 'rollback', group: groupName, facilitator: facName, member: gus, keepKeyPassphrase: passphrase };
    const { fac: f, member: m, invite } = await facilitatorAndMember(rig, pair);
    // The sealed vault is written again for every roster epoch the member verifies (a new nonce each time).
    const vault = async () => (await indexedDbRecords(m)).find((r) => r.key === 'vault')?.value;
    const written = async (before: string | undefined) => expect.poll(async () => (await vault()) !== before).toBe(true);
    const afterAdmit = await vault();
    // Two changes the member verifies: a mute, then an unmute.
    await f.getByRole('button', { name: `Mute ${gus}`, exact: true }).click();
    await m.getByText('A facilitator has muted you, so you cannot send messages.', { exact: false }).waitFor();
    await written(afterAdmit);
    const afterMute = await vault();
    await f.getByRole('button', { name: `Unmute ${gus}`, exact: true }).click();
    await expect.poll(() => composer(m).isEnabled()).toBe(true);
    await written(afterMute);
    for (const secret of [groupName, facName, gus]) expect(await vault()).not.toContain(secret);

    // The member reloads; the relay now serves the roster as it was before the mute and the unmute.
    const cut = rig.tap.tamper((p) => {
      const pl = p.payload as { roster?: SignedRosterEntry[] };
      return p.ack && Array.isArray(pl.roster) ? [{ ...pl, roster: pl.roster.slice(0, -2) }] : undefined;
    });
    try {
      await m.reload();
      await heading(m, 'Welcome back').waitFor(); // the app is up (and listening for the link) before it is opened
      await rig.open(m, invite);
      await m.getByLabel('Passphrase').fill(passphrase);
      await m.getByRole('button', { name: 'Unlock' }).click();
      const alert = m.getByRole('alert');
      await alert.getByText('A roster older than the one already accepted was offered (rollback).').waitFor();
      await alert.getByText('the server may be hiding recent changes to this group', { exact: false }).waitFor();
      await rig.screen(m, '17-rollback-refused');
      // Nothing of the old roster is taken: no rules, no session.
      expect(await heading(m, `Before you join ${groupName}`).count()).toBe(0);
      expect(await composer(m).count()).toBe(0);
    } finally {
      cut();
    }
  }, 120_000);

  rig.declareCleanRunTest();
});
