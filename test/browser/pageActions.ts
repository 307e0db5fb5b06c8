/**
 * What a person does in Kindred's pages, as the browser tests do it: start a group, open a session, follow an invite
 * to the waiting room, admit, write. Each waits for a state of the page (locators with deadlines), never a fixed time.
 * On a phone the facilitator's console is a sheet behind a "Console" button and the member's tools are behind
 * "People & tools": the steps open them when they have to.
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { BrowserContextOptions, Page } from 'playwright-core';
import type { BrowserRig } from './browserRig';
import { webStorage } from './tabTraces';

/** A label made unique by a random suffix, so that a test finds exactly its own text anywhere. */
export const canary = (label: string): string => `${label} ${randomUUID().slice(0, 8)}`;

export const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { level: 1, name });
export const log = (page: Page) => page.getByRole('log', { name: 'Messages' });
export const composer = (page: Page) => page.locator('#composer-text');

/** Screens of the way through, photographed (and checked) under these names when `shots` is on. */
const SHOTS = { home: '01-home', create: '02-create-group', lobby: '03-facilitator-lobby', rules: '04-rules', name: '05-enter-name' };

/** Facilitator: home -> start a group from the template -> lobby. Returns the first invite link. */
export async function createGroup(rig: BrowserRig, page: Page, groupName: string, myName: string, opts: { shots?: boolean } = {}): Promise<string> {
  const shot = async (name: string) => (opts.shots ? rig.screen(page, name) : undefined);
  await rig.open(page, `${rig.ready().relay.origin}/`);
  await heading(page, 'Kindred').waitFor();
  await shot(SHOTS.home);
  await page.getByRole('button', { name: 'Start a group' }).click();
  await heading(page, 'Start a group').waitFor();
  // The template is there to edit: the four texts are filled in.
  for (const field of ['#f-groundRules', '#f-codeOfConduct', '#f-confidentialityLimits', '#f-crisisResources']) {
    expect((await page.locator(field).inputValue()).length).toBeGreaterThan(20);
  }
  await shot(SHOTS.create);
  await page.getByLabel('Group name (only members see it)').fill(groupName);
  await page.getByLabel('Your name as facilitator').fill(myName);
  await page.getByRole('button', { name: 'Create the group' }).click();
  await heading(page, groupName).waitFor();
  const invite = await page.locator('.invite-list input').first().inputValue();
  expect(invite).toMatch(new RegExp(`^${rig.ready().relay.origin}/#/join/.+`));
  rig.noteInvite(invite);
  await shot(SHOTS.lobby);
  return invite;
}

/** Facilitator, in the lobby: opens a session and waits until it can write. */
export async function openSession(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Open a session' }).click();
  // Beside the chat at 1280 px; in a sheet behind the "Console" button on a phone.
  await page.getByRole('tablist', { name: 'Facilitator console', includeHidden: true }).waitFor({ state: 'attached' });
  await expect.poll(() => composer(page).isEnabled()).toBe(true);
}

/** Member: the invite link -> rules (accepted) -> name (and a kept key, if a passphrase is given) -> waiting room. */
export async function joinToWaitingRoom(
  rig: BrowserRig,
  page: Page,
  invite: string,
  groupName: string,
  myName: string,
  opts: { shots?: boolean; keepKeyPassphrase?: string } = {},
): Promise<void> {
  await rig.open(page, invite);
  await heading(page, `Before you join ${groupName}`).waitFor();
  if (opts.shots) await rig.screen(page, SHOTS.rules);
  await page.getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Sign and continue' }).click();
  await heading(page, 'Your name for this session').waitFor();
  if (opts.shots) await rig.screen(page, SHOTS.name);
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

/** Opens a tab of the facilitator's console (on a phone the console is a sheet; its button opens it first). */
export async function consoleTab(page: Page, name: 'Waiting' | 'Notes' | 'People' | 'Session'): Promise<void> {
  const tab = page.getByRole('tab', { name: new RegExp(`^${name}`) });
  if (!(await tab.isVisible())) await page.getByRole('button', { name: /^Console/ }).click();
  await tab.click();
}

/** On a phone: closes the facilitator's console sheet, back to the chat (nothing to do on a desktop). */
export async function closeSheet(page: Page): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to the conversation' });
  if (await back.isVisible()) await back.click();
}

/** On a phone: opens the member's sheet of people and tools (beside the chat on a desktop). */
export async function memberTools(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: /^People & tools/ });
  if (await toggle.isVisible()) await toggle.click();
}

/** Facilitator admits whoever knocks with that name; the member's composer then opens and the roster names it. */
export async function admit(facilitator: Page, member: Page, memberName: string): Promise<void> {
  // The knock shows the pseudonym the member introduced itself with (boxed to the facilitator), and its key's short id.
  await consoleTab(facilitator, 'Waiting');
  await facilitator.getByRole('button', { name: `Admit ${memberName} (`, exact: false }).click();
  await member.getByRole('heading', { name: 'Conversation' }).waitFor();
  await expect.poll(() => composer(member).isEnabled()).toBe(true);
  // The member's pseudonym reaches the facilitator encrypted; the controls are named with it once it has.
  await consoleTab(facilitator, 'People');
  await facilitator.locator('.roster .member-name', { hasText: memberName }).waitFor();
  await closeSheet(facilitator);
}

/** Who sits down together: the group, the facilitator and the member, each with the browser profile options it needs. */
export interface Pair {
  group: string;
  facilitator: string;
  member: string;
  /** The member keeps its key in the browser under this passphrase. */
  keepKeyPassphrase?: string;
  facilitatorProfile?: BrowserContextOptions;
  memberProfile?: BrowserContextOptions;
  /** A word for the test the two serve (in the tab watch's names). */
  label: string;
}

/** A facilitator with an open session and one member admitted to it: where most tests start. */
export async function facilitatorAndMember(rig: BrowserRig, pair: Pair): Promise<{ fac: Page; member: Page; invite: string }> {
  const fac = await rig.newPerson(`facilitator (${pair.label})`, pair.facilitatorProfile);
  const member = await rig.newPerson(`member (${pair.label})`, pair.memberProfile);
  const invite = await createGroup(rig, fac, pair.group, pair.facilitator);
  await openSession(fac);
  await joinToWaitingRoom(rig, member, invite, pair.group, pair.member, pair.keepKeyPassphrase ? { keepKeyPassphrase: pair.keepKeyPassphrase } : {});
  await admit(fac, member, pair.member);
  return { fac, member, invite };
}

/** Writes `text` with Enter and waits for it in the log and for the box to empty. */
export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await log(page).getByText(text, { exact: true }).waitFor();
  await expect.poll(() => composer(page).inputValue()).toBe('');
}

export const seen = (page: Page, text: string) => log(page).getByText(text, { exact: true }).waitFor();

/** Nothing in the tab's sessionStorage or localStorage. */
export async function noWebStorage(page: Page): Promise<void> {
  expect(await webStorage(page)).toEqual({ session: {}, local: {} });
}
