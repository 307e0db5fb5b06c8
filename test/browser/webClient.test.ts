/**
 * The web client in a real browser: Debian's Chromium (playwright-core) against the real relay (buildApp, SQLite in
 * memory) serving the BUILT client/dist under its strict CSP. Three people, each in their own browser context
 * (separate cookies, storage and IndexedDB): a facilitator, a member and a second member.
 *
 * Every screen passes axe-core (no serious or critical violation) at 1280x800 and 360 px wide and is photographed
 * into test-results/screens/. Every tab is watched: no request to any origin but the relay's, no CSP violation,
 * no uncaught error. Waiting is always for a state of the page (locators), never for a fixed time.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SealedVault, WrappedIdentity, type SignedRosterEntry } from '@kindred/shared/protocol';
import { WireTap } from '../support/wireTap';
import { launchChromium } from './chromium';
import { CLIENT_DIST, requireBuiltClient, startRelayWithClient, type RelayWithClient } from './relayWithClient';
import { checkScreen, DESKTOP, SCREENSHOT_DIR } from './screens';
import { domText, indexedDbRecords, tracesOf, webStorage } from './tabTraces';
import { foreignUrls, watchContext, type TabWatch } from './tabWatch';

/** Generous per-step limit for locators (a slow CI machine decrypting with WebAssembly), far below the test's. */
const STEP_TIMEOUT_MS = 20_000;

let relay: RelayWithClient | null = null;
/** Plays a dishonest relay when a test asks it to (records nothing). */
const tap = new WireTap(false);
let browser: Browser | null = null;
const watches: { name: string; watch: TabWatch }[] = [];
const a11yProblems: string[] = [];
/** The secret of every invite link made (k2.<group>.<invite>.<SECRET>.<fingerprint>.<epoch>.<head>): it must never reach the relay. */
const inviteSecrets: string[] = [];

beforeAll(async () => {
  // Without a built client there is nothing to test: the tests below fail with requireBuiltClient's sentence.
  if (!existsSync(join(CLIENT_DIST, 'index.html'))) return;
  relay = await startRelayWithClient();
  tap.attach(relay.app.io);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await relay?.close();
});

function ready(): { relay: RelayWithClient; browser: Browser } {
  requireBuiltClient();
  if (!relay || !browser) throw new Error('the relay or the browser did not start (see the error of beforeAll)');
  return { relay, browser };
}

/** A fresh browser profile (context) with one tab, watched. */
async function newPerson(name: string, where: { timezoneId?: string; locale?: string } = {}): Promise<Page> {
  const context = await ready().browser.newContext({ viewport: DESKTOP, ...where });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  watches.push({ name, watch: watchContext(context) });
  return context.newPage();
}

async function screen(page: Page, name: string): Promise<void> {
  a11yProblems.push(...(await checkScreen(page, name)));
}

/** history.length of each tab right after it opened Kindred: quick exit must not leave more entries behind. */
const historyAtOpen = new WeakMap<Page, number>();
async function open(page: Page, url: string): Promise<void> {
  await page.goto(url);
  historyAtOpen.set(page, await page.evaluate(() => window.history.length));
}

const canary = (label: string) => `${label} ${randomUUID().slice(0, 8)}`;

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
const composer = (page: Page) => page.locator('#composer-text');

/** Facilitator: home -> start a group from the template -> lobby. Returns the first invite link. */
async function createGroup(page: Page, groupName: string, myName: string, shots: boolean): Promise<string> {
  await open(page, `${ready().relay.origin}/`);
  await heading(page, 'Kindred').waitFor();
  if (shots) await screen(page, '01-home');
  await page.getByRole('button', { name: 'Start a group' }).click();
  await heading(page, 'Start a group').waitFor();
  // The template is there to edit: the four texts are filled in.
  for (const field of ['#f-groundRules', '#f-codeOfConduct', '#f-confidentialityLimits', '#f-crisisResources']) {
    expect((await page.locator(field).inputValue()).length).toBeGreaterThan(20);
  }
  if (shots) await screen(page, '02-create-group');
  await page.getByLabel('Group name (only members see it)').fill(groupName);
  await page.getByLabel('Your name as facilitator').fill(myName);
  await page.getByRole('button', { name: 'Create the group' }).click();
  await heading(page, groupName).waitFor();
  const invite = await page.locator('.invite-list input').first().inputValue();
  expect(invite).toMatch(new RegExp(`^${ready().relay.origin}/#/join/.+`));
  const secret = invite.slice(invite.indexOf('#/join/') + '#/join/'.length).split('.')[3];
  expect(secret?.length).toBeGreaterThanOrEqual(22);
  inviteSecrets.push(secret ?? '');
  if (shots) await screen(page, '03-facilitator-lobby');
  return invite;
}

async function openSession(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Open a session' }).click();
  await page.getByRole('tablist', { name: 'Facilitator console' }).waitFor();
  await expect.poll(() => composer(page).isEnabled()).toBe(true);
}

/** Member: the invite link -> rules (accepted) -> name -> waiting room. */
async function joinToWaitingRoom(page: Page, invite: string, groupName: string, myName: string, opts: { shots: boolean; keepKeyPassphrase?: string }) {
  await open(page, invite);
  await heading(page, `Before you join ${groupName}`).waitFor();
  if (opts.shots) await screen(page, '04-rules');
  await page.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Sign and continue' }).click();
  await heading(page, 'Your name for this session').waitFor();
  if (opts.shots) await screen(page, '05-enter-name');
  if (opts.keepKeyPassphrase) {
    await page.getByText('Keep my key on this device (optional)').click();
    await page.getByLabel(/^Passphrase \(at least/).fill(opts.keepKeyPassphrase);
    await page.getByLabel('The same passphrase again').fill(opts.keepKeyPassphrase);
    await page.getByRole('button', { name: 'Keep my key' }).click();
    await page.getByText('Your key is kept in this browser, protected by your passphrase.').waitFor();
  }
  await page.getByLabel(/^Name the group will see/).fill(myName);
  await page.getByRole('button', { name: 'Go to the waiting room' }).click();
  await heading(page, 'Waiting room').waitFor();
}

/** Facilitator admits whoever knocks (one at a time here); the member's composer then opens. */
async function admit(facilitator: Page, member: Page, memberName: string): Promise<void> {
  // The knock shows the pseudonym the member introduced itself with (boxed to the facilitator), and its key's short id.
  await consoleTab(facilitator, 'Waiting');
  await facilitator.getByRole('button', { name: `Admit ${memberName} (`, exact: false }).click();
  await member.getByRole('heading', { name: 'Conversation' }).waitFor();
  await expect.poll(() => composer(member).isEnabled()).toBe(true);
  // The member's pseudonym reaches the facilitator encrypted; the controls are named with it once it has.
  await consoleTab(facilitator, 'People');
  await facilitator.locator('.roster .member-name', { hasText: memberName }).waitFor();
}

/** The facilitator's console shows one tab at a time (beside the chat at 1280 px). */
async function consoleTab(page: Page, name: 'Waiting' | 'Notes' | 'People' | 'Session'): Promise<void> {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await log(page).getByText(text, { exact: true }).waitFor();
  await expect.poll(() => composer(page).inputValue()).toBe('');
}

const seen = (page: Page, text: string) => log(page).getByText(text, { exact: true }).waitFor();

async function noWebStorage(page: Page): Promise<void> {
  expect(await webStorage(page)).toEqual({ session: {}, local: {} });
}

describe('the web client in Chromium against the real relay', () => {
  it('is tested against the built client (client/dist)', () => {
    requireBuiltClient();
  });

  it('runs a whole session: rules first, waiting room, chat, mute, remove, end, all wiped', async () => {
    const groupName = canary('Tuesday circle');
    const facName = canary('Ana');
    const bo = canary('Bo');
    const cy = canary('Cy');
    const f = await newPerson('facilitator');
    const m = await newPerson('member');
    const s = await newPerson('second member');

    const invite = await createGroup(f, groupName, facName, true);
    // The invite secret lives in the fragment only: the query and path carry nothing.
    expect(new URL(invite).search).toBe('');
    await openSession(f);
    await screen(f, '06-facilitator-session');

    // The member: the rules come before anything else of the session.
    await open(m, invite);
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
    await screen(m, '04-rules');
    await m.getByRole('checkbox').check();
    await sign.click();
    await heading(m, 'Your name for this session').waitFor();
    await screen(m, '05-enter-name');
    await m.getByLabel(/^Name the group will see/).fill(bo);
    await m.getByRole('button', { name: 'Go to the waiting room' }).click();
    await heading(m, 'Waiting room').waitFor();
    expect(await m.getByRole('log').count()).toBe(0);
    expect(await composer(m).count()).toBe(0);
    await screen(m, '07-waiting-room');
    await consoleTab(f, 'Waiting');
    await f.getByRole('heading', { name: 'Waiting room (1)' }).waitFor();
    expect(await f.getByText('signed the agreement').count()).toBe(1);
    await screen(f, '08-facilitator-knock');

    await m.getByRole('button', { name: 'Crisis help' }).click();
    await m.getByRole('heading', { name: 'Help right now' }).waitFor();
    await screen(m, '09-crisis-panel');
    await m.getByRole('button', { name: 'Close', exact: true }).click();

    await admit(f, m, bo);
    const m1 = canary('Bo: this week was hard');
    const f1 = canary('Ana: thank you for sharing');
    await send(m, m1);
    await seen(f, m1);
    await send(f, f1);
    await seen(m, f1);
    await screen(m, '10-member-session');

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
    await screen(m, '11-member-muted');

    // The second member: admitted, then removed.
    await joinToWaitingRoom(s, invite, groupName, cy, { shots: false });
    await admit(f, s, cy);
    const f2 = canary('Ana: welcome Cy');
    await send(f, f2);
    await seen(s, f2);
    await seen(m, f2);
    await screen(f, '12-facilitator-session-three');
    // The Session tab: talk share of three people (a table that must fit a phone), slow mode, expiry, lock.
    await f.getByRole('tab', { name: /^Session/ }).click();
    await f.getByRole('heading', { name: 'Talk share' }).waitFor();
    await screen(f, '12b-facilitator-session-tab');
    await f.getByRole('tab', { name: /^People/ }).click();
    await f.getByRole('button', { name: `Remove ${cy}`, exact: true }).click();
    await f.getByRole('button', { name: `Yes, remove ${cy}`, exact: true }).click();
    await heading(s, 'Session closed').waitFor();
    await s.getByText('A facilitator has removed you from this session.').waitFor();
    expect(await tracesOf(s, [m1, f1, f2])).toEqual([]);
    await screen(s, '13-removed');

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
    await screen(m, '14-session-closed');
    await screen(f, '15-facilitator-closed');

    // The relay never saw any of it in clear (its debug log included).
    expect(ready().relay.logs.length).toBeGreaterThan(0);
    const relayLog = ready().relay.logs.join('\n');
    for (const secret of [...messages, groupName, facName, bo, cy]) expect(relayLog).not.toContain(secret);
  }, 120_000);

  it('quick exit (button, and Esc Esc) leaves no trace in the tab', async () => {
    const groupName = canary('Thursday circle');
    const facName = canary('Dee');
    const eli = canary('Eli');
    const f = await newPerson('facilitator (quick exit)');
    const m = await newPerson('member (quick exit)');
    const invite = await createGroup(f, groupName, facName, false);
    await openSession(f);
    // This member keeps their key (passphrase-wrapped) in the browser: the one thing allowed to stay.
    await joinToWaitingRoom(m, invite, groupName, eli, { shots: false, keepKeyPassphrase: 'correct horse battery staple' });
    await admit(f, m, eli);
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
      expect(await page.evaluate(() => window.history.length)).toBe(historyAtOpen.get(page));
    }
    await screen(m, '16-after-quick-exit');

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
    const f = await newPerson('facilitator (rollback)');
    const m = await newPerson('member (rollback)');
    const invite = await createGroup(f, groupName, facName, false);
    await openSession(f);
    await joinToWaitingRoom(m, invite, groupName, gus, { shots: false, keepKeyPassphrase: passphrase });
    await admit(f, m, gus);
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
    const cut = tap.tamper((p) => {
      const pl = p.payload as { roster?: SignedRosterEntry[] };
      return p.ack && Array.isArray(pl.roster) ? [{ ...pl, roster: pl.roster.slice(0, -2) }] : undefined;
    });
    try {
      await m.reload();
      await heading(m, 'Welcome back').waitFor(); // the app is up (and listening for the link) before it is opened
      await open(m, invite);
      await m.getByLabel('Passphrase').fill(passphrase);
      await m.getByRole('button', { name: 'Unlock' }).click();
      const alert = m.getByRole('alert');
      await alert.getByText('A roster older than the one already accepted was offered (rollback).').waitFor();
      await alert.getByText('the server may be hiding recent changes to this group', { exact: false }).waitFor();
      await screen(m, '17-rollback-refused');
      // Nothing of the old roster is taken: no rules, no session.
      expect(await heading(m, `Before you join ${groupName}`).count()).toBe(0);
      expect(await composer(m).count()).toBe(0);
    } finally {
      cut();
    }
  }, 120_000);

  it('offline for 20 s: the banner shows, two messages wait and then go out once each, in order', async () => {
    const fac = await newPerson('offline-facilitator');
    const member = await newPerson('offline-member');
    const group = canary('Offline circle');
    const invite = await createGroup(fac, group, 'Noor', false);
    await openSession(fac);
    await joinToWaitingRoom(member, invite, group, 'Ravi', { shots: false });
    await admit(fac, member, 'Ravi');
    const one = canary('offline one');
    const two = canary('offline two');

    await member.context().setOffline(true);
    await member.getByText('You are offline.').waitFor();
    await member.getByText(/Who is here is unknown/).first().waitFor();
    for (const text of [one, two]) {
      await composer(member).fill(text);
      await composer(member).press('Enter');
      await log(member).getByText(text, { exact: true }).waitFor();
    }
    await expect.poll(() => member.locator('.msg.waiting').count()).toBe(2);
    await member.getByText('Your 2 messages wait and will be sent when you are back.').waitFor();
    // Joining while the others' acknowledgements of the admission were in flight is no attack: no warning.
    expect(await member.getByText(/Security warning/).count()).toBe(0);
    for (const width of [DESKTOP.width, 360]) {
      await member.setViewportSize({ width, height: 800 });
      await member.screenshot({ path: join(SCREENSHOT_DIR, `continuity-offline-${width}.png`) });
    }
    await member.setViewportSize(DESKTOP);
    // Longer than a request may wait: nothing is refused meanwhile.
    await member.waitForTimeout(20_000);
    expect(await member.getByRole('alert').count()).toBe(0);
    await member.context().setOffline(false);

    await member.getByText('You are offline.').waitFor({ state: 'detached', timeout: 60_000 });
    await seen(fac, two);
    await expect.poll(() => member.locator('.msg.waiting').count()).toBe(0);
    const facTexts = await log(fac).locator('.msg-text').allTextContents();
    expect(facTexts.filter((t) => t === one)).toHaveLength(1);
    expect(facTexts.filter((t) => t === two)).toHaveLength(1);
    expect(facTexts.indexOf(one)).toBeLessThan(facTexts.indexOf(two));
    await send(fac, canary('after the outage'));
    const memberTexts = await log(member).locator('.msg-text').allTextContents();
    expect(memberTexts.filter((t) => t === one)).toHaveLength(1);
    await member.context().close();
    await fac.context().close();
  }, 240_000);

  it('a facilitator closes the browser, opens it again with the same storage, unlocks, reopens the group from "My groups" and opens a session', async () => {
    const groupName = canary('Monday circle');
    const facName = canary('Hal');
    const passphrase = 'correct horse battery staple';
    const f = await newPerson('facilitator (next week)');
    const invite = await createGroup(f, groupName, facName, false);
    await f.getByText('Keep your facilitator key on this device (recommended)').click();
    await f.getByLabel(/^Passphrase \(at least/).fill(passphrase);
    await f.getByLabel('The same passphrase again').fill(passphrase);
    await f.getByRole('button', { name: 'Keep my key' }).click();
    await f.getByText('Your key is kept in this browser, protected by your passphrase.').waitFor();
    const vaultRecord = async (page: Page) => (await indexedDbRecords(page)).find((r) => r.key === 'vault')?.value;
    await expect.poll(async () => (await vaultRecord(f)) !== undefined).toBe(true);

    // The vault holds nothing readable: only a version, a nonce and a ciphertext; no group id, invite id or secret,
    // creator fingerprint, roster head, group name or pseudonym in clear.
    const record = (await vaultRecord(f))!;
    expect(SealedVault.safeParse(JSON.parse(record)).success).toBe(true);
    const [, groupId, inviteId, secret, creator, , head] = invite.slice(invite.indexOf('#/join/') + '#/join/'.length).split('.');
    for (const needle of [groupId, inviteId, secret, creator, head, groupName, facName]) expect(record).not.toContain(needle);

    // The browser is closed; next week it opens again with the same storage, and no link.
    const storageState = await f.context().storageState({ indexedDB: true });
    await f.context().close();
    const context = await ready().browser.newContext({ viewport: DESKTOP, storageState });
    context.setDefaultTimeout(STEP_TIMEOUT_MS);
    watches.push({ name: 'facilitator (next week, reopened)', watch: watchContext(context) });
    const page = await context.newPage();
    await open(page, `${ready().relay.origin}/`);
    await page.getByRole('button', { name: 'My groups' }).click();
    await heading(page, 'Welcome back').waitFor();
    await page.getByLabel('Passphrase').fill(passphrase);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await heading(page, 'My groups').waitFor();
    await page.getByRole('heading', { level: 2, name: groupName }).waitFor();
    await screen(page, '18-my-groups');
    // Keyboard: the group's button is reached and pressed without a mouse.
    const openIt = page.getByRole('button', { name: `Open ${groupName}` });
    await openIt.focus();
    await page.keyboard.press('Enter');
    await heading(page, groupName).waitFor();
    await openSession(page);
    await send(page, canary('Hal: welcome back, everyone'));
  }, 120_000);

  it('the invite link opened again in the same tab after "Session closed" works; quick exit then Back never shows Kindred', async () => {
    const fac = await newPerson('reopen-facilitator');
    const member = await newPerson('reopen-member');
    const group = canary('Reopen circle');
    const invite = await createGroup(fac, group, 'Ama', false);
    await openSession(fac);
    await joinToWaitingRoom(member, invite, group, 'Bea', { shots: false });
    await admit(fac, member, 'Bea');
    await consoleTab(fac, 'Session');
    await fac.getByRole('button', { name: 'Close the circle (end the session)' }).click();
    await fac.getByRole('button', { name: 'Yes, close the circle' }).click();
    await heading(member, 'Session closed').waitFor();

    // The member pastes the same link again in the same tab: the group's card comes back (no session open yet).
    await member.evaluate((url) => {
      window.location.href = url;
    }, invite);
    await heading(member, 'Session closed').waitFor({ state: 'detached' });
    await expect.poll(() => member.getByRole('heading', { level: 1 }).first().textContent()).not.toBe('Session closed');
    await fac.getByRole('button', { name: 'Back to the group' }).click();
    await openSession(fac);
    await heading(member, `Before you join ${group}`).waitFor();

    // Quick exit, then Back: the tab's start page, never a Kindred page.
    await member.getByRole('button', { name: 'Quick exit' }).click();
    await member.waitForURL((u) => u.pathname === '/recipes.html');
    await member.goBack();
    expect(member.url()).toBe('about:blank');
    await member.context().close();
    await fac.context().close();
  }, 180_000);

  it('a reloaded member keeps their place (one-off key and kept key); the place goes with the session', async () => {
    const groupName = canary('Saturday circle');
    const facName = canary('Kim');
    const ida = canary('Ida');
    const jo = canary('Jo');
    const passphrase = 'correct horse battery staple';
    const f = await newPerson('facilitator (reload)');
    const one = await newPerson('one-off member (reload)');
    const kept = await newPerson('kept-key member (reload)');
    const invite = await createGroup(f, groupName, facName, false);
    await openSession(f);
    await joinToWaitingRoom(one, invite, groupName, ida, { shots: false });
    await admit(f, one, ida);
    await joinToWaitingRoom(kept, invite, groupName, jo, { shots: false, keepKeyPassphrase: passphrase });
    await admit(f, kept, jo);
    const f1 = canary('Kim: welcome, both');
    const i1 = canary('Ida: first time here');
    const j1 = canary('Jo: hello');
    await send(f, f1);
    await seen(one, f1);
    await seen(kept, f1);
    await send(one, i1);
    await seen(f, i1);
    await seen(kept, i1);
    await send(kept, j1);
    await seen(f, j1);
    await seen(one, j1);
    const place = async (page: Page) => (await webStorage(page)).session['kindred.place'];
    await expect.poll(async () => (await place(one)) !== undefined).toBe(true);
    await expect.poll(async () => (await place(kept)) !== undefined).toBe(true);
    // The kept key itself never goes to the tab's storage; a one-off key does (it has nowhere else to live).
    expect(JSON.parse((await place(kept))!)).not.toHaveProperty('identitySeed');
    expect(JSON.parse((await place(one))!)).toHaveProperty('identitySeed');
    expect((await webStorage(one)).local).toEqual({});

    /** Back in the session as the same member: the buffered messages (mine as mine), no knock, no duplicate, no warning. */
    const backInSession = async (page: Page, name: string, mine: string) => {
      await page.getByRole('heading', { name: 'Conversation' }).waitFor();
      await expect.poll(() => composer(page).isEnabled()).toBe(true);
      for (const text of [f1, i1, j1]) await seen(page, text);
      await log(page).locator('.msg.own', { hasText: mine }).waitFor();
      await consoleTab(f, 'People');
      await f.locator('.roster .member-name', { hasText: name }).waitFor();
      expect(await f.locator('.roster .member-name', { hasText: name }).count()).toBe(1);
      await consoleTab(f, 'Waiting');
      expect(await f.getByRole('button', { name: `Admit ${name} (`, exact: false }).count()).toBe(0);
      for (const p of [page, f]) expect(await p.getByText(/Security warning/).count()).toBe(0);
    };

    // The one-off member reloads: straight back, with the same name the others see.
    await one.reload();
    await backInSession(one, ida, i1);
    await screen(one, '19-reloaded-member');
    const i2 = canary('Ida: sorry, my page reloaded');
    await send(one, i2);
    await seen(f, i2);
    await seen(kept, i2);
    await f.locator('.msg', { hasText: i2 }).locator('.msg-sender', { hasText: ida }).waitFor();

    // The kept-key member reloads: the passphrase first, then the same place.
    await kept.reload();
    await heading(kept, 'Welcome back').waitFor();
    await kept.getByLabel('Passphrase').fill(passphrase);
    await kept.getByRole('button', { name: 'Unlock' }).click();
    await backInSession(kept, jo, j1);
    await seen(kept, i2);
    const f2 = canary('Kim: good to have you both back');
    await send(f, f2);
    await seen(one, f2);
    await seen(kept, f2);

    // The facilitator reloads too (the one-off key that made the group): the console is back, with everyone in it.
    await f.reload();
    await f.getByRole('tablist', { name: 'Facilitator console' }).waitFor();
    await expect.poll(() => composer(f).isEnabled()).toBe(true);
    for (const text of [f1, i1, j1, i2]) await seen(f, text);
    await log(f).locator('.msg.own', { hasText: f2 }).waitFor();
    await consoleTab(f, 'People');
    for (const name of [ida, jo]) {
      await f.locator('.roster .member-name', { hasText: name }).waitFor();
      expect(await f.locator('.roster .member-name', { hasText: name }).count()).toBe(1);
    }
    await screen(f, '21-reloaded-facilitator');
    // The invite links made before the reload are there to share again.
    await consoleTab(f, 'Session');
    await expect.poll(() => f.locator('.invite-list input').first().inputValue()).toBe(invite);
    const f3 = canary('Kim: my page reloaded as well');
    await send(f, f3);
    await seen(one, f3);
    await seen(kept, f3);
    for (const p of [f, one, kept]) expect(await p.getByText(/Security warning/).count()).toBe(0);

    // A relay that no longer holds what was shown before: one calm line says so.
    const lost = tap.tamper((p) => {
      const answer = p.payload as { status?: string; missed?: unknown[] } | null;
      return p.ack && answer?.status === 'joined' && Array.isArray(answer.missed) && answer.missed.length > 0 ? [{ ...answer, missed: [] }] : undefined;
    });
    try {
      await one.reload();
      await one.getByRole('heading', { name: 'Conversation' }).waitFor();
      await log(one).getByText(/messages from before you reloaded are no longer available\./).waitFor();
    } finally {
      lost();
    }
    expect(await one.getByText(/Security warning/).count()).toBe(0);
    await screen(one, '20-reloaded-history-gone');

    // Quick exit takes the place with it; so does the session's end.
    await kept.getByRole('button', { name: 'Quick exit' }).click();
    await kept.waitForURL((u) => u.pathname === '/recipes.html');
    await noWebStorage(kept);
    await consoleTab(f, 'Session');
    await f.getByRole('button', { name: 'Close the circle (end the session)' }).click();
    await f.getByRole('button', { name: 'Yes, close the circle' }).click();
    await heading(one, 'Session closed').waitFor();
    await heading(f, 'Session closed').waitFor();
    for (const page of [one, f]) await noWebStorage(page);
  }, 180_000);

  it('the next session, set by the facilitator in Paris, shows in Tokyo time on the closed screen and in the lobby, with a neutral .ics', async () => {
    const fac = await newPerson('next-facilitator', { timezoneId: 'Europe/Paris', locale: 'en-GB' });
    const member = await newPerson('next-member', { timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    const group = canary('Monday circle');
    const invite = await createGroup(fac, group, 'Noor', false);
    await openSession(fac);
    await joinToWaitingRoom(member, invite, group, 'Ode', { shots: false });
    await admit(fac, member, 'Ode');

    // 19:30 on Monday 4 March 2030 in Paris (UTC+1) is 18:30 UTC, 03:30 on Tuesday 5 March in Tokyo.
    await consoleTab(fac, 'Session');
    await fac.getByLabel('Date and time (your time)').fill('2030-03-04T19:30');
    await fac.getByLabel('Length').selectOption('90');
    await fac.getByRole('button', { name: 'Save the next session' }).click();
    await fac.getByText(/^Set for Monday,? 4 March 2030 at 19:30/).waitFor();
    await screen(fac, '29-next-session-form');
    await fac.getByRole('button', { name: 'Close the circle (end the session)' }).click();
    await fac.getByRole('button', { name: 'Yes, close the circle' }).click();

    await heading(member, 'Session closed').waitFor();
    const next = member.locator('.next-session time');
    await expect.poll(() => next.textContent()).toMatch(/^Tuesday,? 5 March 2030 at 03:30/);
    expect(await next.getAttribute('datetime')).toBe('2030-03-04T18:30:00.000Z');
    expect(await member.locator('.next-session').textContent()).toContain('Next session:');
    await screen(member, '30-closed-next-session');

    // Add to calendar: a file made in the page, in UTC, titled neutrally (the group's name only if asked for).
    const [file] = await Promise.all([member.waitForEvent('download'), member.getByRole('button', { name: 'Add to calendar' }).click()]);
    expect(file.suggestedFilename()).toBe('meeting.ics');
    const ics = await new Promise<string>((resolve, reject) => {
      void file.createReadStream().then((stream) => {
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      }, reject);
    });
    expect(ics).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(ics).toContain('\r\nDTSTART:20300304T183000Z\r\n');
    expect(ics).toContain('\r\nDURATION:PT90M\r\n');
    expect(ics).toContain('\r\nSUMMARY:Group meeting\r\n');
    expect(ics).toMatch(/\r\nUID:[^\r\n]+\r\n/);
    expect(ics).not.toContain(group);

    // Someone opening the link before the next session: "No session right now" shows it too.
    const late = await newPerson('next-late', { timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    await open(late, invite);
    await heading(late, 'No session right now').waitFor();
    await expect.poll(() => late.locator('.next-session time').textContent()).toMatch(/^Tuesday,? 5 March 2030 at 03:30/);
    await screen(late, '31-no-session-next-session');
    for (const p of [fac, member, late]) await p.context().close();
  }, 180_000);

  it('talked to the relay only, under the CSP, with no page error, and every screen passed axe', () => {
    const origin = ready().relay.origin;
    expect(watches.length).toBeGreaterThan(0);
    for (const { name, watch } of watches) {
      // The watch sees the page itself and the relay's WebSocket (so it would see any other request too).
      expect(watch.urls.some((u) => u.startsWith(`${origin}/`)), `${name}: page requests seen`).toBe(true);
      expect(watch.urls.some((u) => u.startsWith(`${origin.replace(/^http/, 'ws')}/socket.io/`)), `${name}: WebSocket seen`).toBe(true);
      expect(foreignUrls(watch, origin), `${name}: requests to another origin`).toEqual([]);
      expect(watch.cspViolations, `${name}: CSP violations`).toEqual([]);
      expect(watch.pageErrors, `${name}: uncaught errors`).toEqual([]);
    }
    // The invite secret travels in the fragment only: in no URL asked for, and nowhere in the relay's log.
    expect(inviteSecrets.length).toBeGreaterThanOrEqual(3); // one per group made in this file
    const everyUrl = watches.flatMap(({ watch }) => watch.urls).join('\n');
    const relayLog = ready().relay.logs.join('\n');
    for (const secret of inviteSecrets) {
      expect(everyUrl).not.toContain(secret);
      expect(relayLog).not.toContain(secret);
    }
    expect(a11yProblems).toEqual([]);
  });
});
