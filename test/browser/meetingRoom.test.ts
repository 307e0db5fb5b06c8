/**
 * The meeting room in Chromium against the real relay (the built client): what a facilitator must never miss reaches
 * them where they are looking, at 1280 px and on a 360x740 phone; the member's composer is on screen without
 * scrolling; a rejoin with a kept key raises no false warning and keeps every name; two people with the same
 * pseudonym are told apart and the right one is promoted and demoted. Every screen passes axe and is photographed
 * into test-results/screens/. Waits are for states of the page with deadlines, never timings.
 */
import { describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { useBrowserRig, STEP_TIMEOUT_MS } from './browserRig';
import { canary, closeSheet, composer, consoleTab, createGroup, heading, joinToWaitingRoom, log, memberTools, openSession } from './pageActions';
import { DESKTOP, NARROW } from './screens';

/** A knock or a note must be in the facilitator's view this soon after it is sent. */
const ATTENTION_DEADLINE_MS = 1_000;

const rig = useBrowserRig();
const newPerson = (name: string, viewport: { width: number; height: number }): Promise<Page> => rig.newPerson(name, { viewport });

/** Visible and wholly inside the viewport as it is (nothing scrolled). */
async function inView(page: Page, target: Locator): Promise<boolean> {
  if (!(await target.isVisible())) return false;
  const box = await target.boundingBox();
  const vp = page.viewportSize();
  if (!box || !vp) return false;
  const scrolled = await page.evaluate(() => window.scrollY);
  return scrolled === 0 && box.y >= 0 && box.x >= 0 && box.y + box.height <= vp.height && box.x + box.width <= vp.width;
}

/** Waits, up to `deadlineMs`, for `target` to be in view. */
async function comesIntoView(page: Page, target: Locator, deadlineMs: number): Promise<void> {
  await target.first().waitFor({ state: 'visible', timeout: deadlineMs });
  await expect.poll(() => inView(page, target.first()), { timeout: deadlineMs, interval: 50 }).toBe(true);
}

async function createGroupAndOpen(page: Page, groupName: string, myName: string): Promise<string> {
  const invite = await createGroup(rig, page, groupName, myName);
  await openSession(page);
  return invite;
}

describe('the meeting room in Chromium', () => {
  for (const [label, viewport] of [
    ['1280', DESKTOP],
    ['360', NARROW],
  ] as const) {
    it(`at ${label} px, a knock and a private note reach the facilitator at once; the member reads the receipt`, async () => {
      const groupName = canary('Circle');
      const ana = canary('Ana');
      const bo = canary('Bo');
      const f = await newPerson(`facilitator ${label}`, viewport);
      const m = await newPerson(`member ${label}`, viewport);
      const invite = await createGroupAndOpen(f, groupName, ana);
      await closeSheet(f);
      expect(await f.title()).toBe('Kindred');

      await joinToWaitingRoom(rig, m, invite, groupName, bo);
      // The knock: a toast in view without scrolling, and the count in the tab title.
      await comesIntoView(f, f.locator('.toast', { hasText: 'is waiting to join' }), ATTENTION_DEADLINE_MS);
      await expect.poll(() => f.title()).toBe('(1) Kindred');
      if (label === '1280') await rig.screen(f, '20-facilitator-knock-toast');
      await f.getByRole('button', { name: 'Show the waiting room' }).first().click();
      await f.getByRole('button', { name: `Admit ${bo} (`, exact: false }).click();
      await expect.poll(() => composer(m).isEnabled()).toBe(true);
      await expect.poll(() => f.title()).toBe('Kindred');
      await closeSheet(f);

      // The member's composer is on screen as the session opens, without scrolling.
      await comesIntoView(m, composer(m), STEP_TIMEOUT_MS);
      await comesIntoView(m, m.getByRole('button', { name: 'Send', exact: true }), STEP_TIMEOUT_MS);
      if (label === '360') await rig.screen(m, '21-member-phone-session');

      // "I'm struggling": the facilitator sees it at once, distinct, and it stays until read.
      const note = canary('I cannot do this today');
      await memberTools(m);
      if (label === '360') await rig.screen(m, '22-member-phone-tools');
      await m.getByLabel('I am struggling').check();
      await m.getByLabel('Anything you want to add (optional)').fill(note);
      await m.getByRole('button', { name: 'Send privately' }).click();
      await comesIntoView(f, f.locator('.toast.urgent', { hasText: 'is struggling' }), ATTENTION_DEADLINE_MS);
      await expect.poll(() => f.title()).toBe('(1) Kindred');
      const banner = f.locator('.distress-note', { hasText: note });
      await comesIntoView(f, banner, STEP_TIMEOUT_MS);
      await m.getByText('Sent. A facilitator will see it.').waitFor();
      await rig.screen(f, `23-facilitator-distress-${label}`);
      await banner.getByRole('button', { name: /I have read this/ }).click();
      await banner.waitFor({ state: 'detached' });
      await expect.poll(() => f.title()).toBe('Kindred');
      // The receipt is an encrypted box from the facilitator back to the member.
      await m.getByText('A facilitator has read your note.').waitFor();
      if (label === '360') await rig.screen(m, '24-member-phone-note-read');
      await f.context().close();
      await m.context().close();
    }, 120_000);
  }

  it('a rejoin with a kept key shows no security warning and keeps every name', async () => {
    const groupName = canary('Circle');
    const ana = canary('Ana');
    const bo = canary('Bo');
    const pass = 'correct horse battery staple';
    const f = await newPerson('facilitator (rejoin)', DESKTOP);
    const m = await newPerson('member (rejoin)', NARROW);
    const invite = await createGroupAndOpen(f, groupName, ana);
    await joinToWaitingRoom(rig, m, invite, groupName, bo, { keepKeyPassphrase: pass });
    await consoleTab(f, 'Waiting');
    await f.getByRole('button', { name: `Admit ${bo} (`, exact: false }).click();
    await expect.poll(() => composer(m).isEnabled()).toBe(true);
    const first = canary('Ana: hello');
    await composer(f).fill(first);
    await composer(f).press('Enter');
    await log(m).getByText(first).waitFor();

    // The tab closes; the same browser (the wrapped key kept in IndexedDB) opens the invite again.
    const context = m.context();
    await m.close();
    const again = await context.newPage();
    await again.goto(invite);
    await heading(again, 'Welcome back').waitFor();
    await again.getByLabel('Passphrase').fill(pass);
    await again.getByRole('button', { name: 'Unlock' }).click();
    await heading(again, `Before you join ${groupName}`).waitFor({ timeout: 60_000 });
    await again.getByRole('checkbox').check();
    await again.getByRole('button', { name: 'Sign and continue' }).click();
    await again.getByLabel(/^Name the group will see/).fill(bo);
    await again.getByRole('button', { name: 'Go to the waiting room' }).click();
    await expect.poll(() => composer(again).isEnabled()).toBe(true);
    const second = canary('Ana: welcome back');
    await composer(f).fill(second);
    await composer(f).press('Enter');
    await log(again).getByText(second).waitFor();
    await log(again).locator('.msg-sender', { hasText: ana }).first().waitFor();
    await rig.screen(again, '25-member-rejoined');
    const text = (await log(again).textContent()) ?? '';
    expect(text).not.toContain('Security warning');
    expect(text).not.toMatch(/Member [A-Za-z0-9_-]{5}/);
    const facText = (await log(f).textContent()) ?? '';
    expect(facText).not.toContain('Security warning');
    expect(facText).not.toMatch(/Member [A-Za-z0-9_-]{5}/);
    await f.context().close();
    await context.close();
  }, 120_000);

  it('two people with the same pseudonym are told apart, and the right one is promoted and demoted', async () => {
    const groupName = canary('Circle');
    const ana = canary('Ana');
    const sam = canary('Sam');
    const f = await newPerson('facilitator (duplicates)', DESKTOP);
    const s1 = await newPerson('first Sam', DESKTOP);
    const s2 = await newPerson('second Sam', DESKTOP);
    const invite = await createGroupAndOpen(f, groupName, ana);
    const ids: string[] = [];
    for (const s of [s1, s2]) {
      await joinToWaitingRoom(rig, s, invite, groupName, sam);
      await consoleTab(f, 'Waiting');
      const admit = f.getByRole('button', { name: `Admit ${sam} (`, exact: false });
      await admit.waitFor();
      const labelText = (await admit.getAttribute('aria-label')) ?? '';
      ids.push(/\(([^)]+)\)$/.exec(labelText)?.[1] ?? '');
      await admit.click();
      await expect.poll(() => composer(s).isEnabled()).toBe(true);
    }
    expect(ids[0]).not.toBe(ids[1]);
    const second = `${sam} (${ids[1]})`;
    await consoleTab(f, 'People');
    // Each is shown with their key's short id, everywhere (roster, controls).
    await f.locator('.roster .member-name', { hasText: `${sam} (${ids[0]})` }).waitFor();
    await f.locator('.roster .member-name', { hasText: second }).waitFor();

    await f.getByRole('button', { name: `Make co-facilitator: ${second}`, exact: true }).click();
    const confirm = f.getByRole('group', { name: `Confirm: make co-facilitator ${second}` });
    await expect.poll(async () => /\d{5}/.test((await confirm.textContent()) ?? '')).toBe(true); // the safety number
    await rig.screen(f, '26-facilitator-promote-confirm');
    await f.getByRole('button', { name: `Yes, make co-facilitator ${second}`, exact: true }).click();
    await s2.getByRole('tablist', { name: 'Facilitator console' }).waitFor({ state: 'attached' });
    expect(await s1.getByRole('tablist', { name: 'Facilitator console' }).count()).toBe(0);

    await f.getByRole('button', { name: `Make member again: ${second}`, exact: true }).click();
    await f.getByRole('button', { name: `Yes, make member again ${second}`, exact: true }).click();
    await s2.getByRole('tablist', { name: 'Facilitator console' }).waitFor({ state: 'detached' });
    expect(await s1.getByRole('tablist', { name: 'Facilitator console' }).count()).toBe(0);
    for (const p of [f, s1, s2]) await p.context().close();
  }, 120_000);

  rig.declareCleanRunTest();
});
