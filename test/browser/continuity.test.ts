/**
 * Continuity in a real browser (Chromium against the real relay serving the built client, browserRig.ts): offline
 * for 20 s, a re-entry the relay refuses twice, a reload that keeps the member's place, a tab discarded while offline
 * that comes back with what was typed, "My groups" next week, the
 * invite link opened again in the same tab, and the next session in another time zone. Every screen passes axe and
 * the overflow check at both sizes and is photographed; every tab is watched.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { SealedVault } from '@kindred/shared/protocol';
import { useBrowserRig } from './browserRig';
import { admit, canary, facilitatorAndMember, composer, consoleTab, createGroup, heading, joinToWaitingRoom, log, noWebStorage, openSession, send, seen } from './pageActions';
import { DESKTOP, SCREENSHOT_DIR } from './screens';
import { indexedDbRecords, webStorage } from './tabTraces';

const rig = useBrowserRig();

describe('continuity in Chromium against the real relay', () => {
  it('offline for 20 s: the banner shows, two messages wait and then go out once each, in order', async () => {
    const { fac, member } = await facilitatorAndMember(rig, { label: 'offline', group: canary('Offline circle'), facilitator: 'Noor', member: 'Ravi' });
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

  it('a re-entry the relay refuses twice is retried by itself: the member sees it, then is back and can write', async () => {
    const { fac, member } = await facilitatorAndMember(rig, { label: 'refused re-entry', group: canary('Refused circle'), facilitator: 'Uma', member: 'Vic' });
    // Every line the banner shows, as the member saw it (the failed states last a second or two each).
    await member.evaluate(() => {
      const seenLines: string[] = [];
      (window as unknown as { bannerLines: string[] }).bannerLines = seenLines;
      new MutationObserver(() => {
        const text = document.querySelector('.offline-banner')?.textContent;
        if (text && seenLines.at(-1) !== text) seenLines.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    await member.context().setOffline(true);
    await member.getByText('You are offline.').waitFor();
    // A node that hangs: the member's next two entries are answered UNAVAILABLE (only the member enters meanwhile).
    let refused = 0;
    const stop = rig.tap.tamper((p) => {
      const answer = p.payload as { ok?: boolean; status?: string } | null;
      if (!p.ack || answer?.ok !== true || answer.status === undefined || refused >= 2) return undefined;
      refused += 1;
      return [{ ok: false, error: { code: 'UNAVAILABLE', message: 'the relay is not available' } }];
    });
    try {
      await member.context().setOffline(false);
      await member.locator('.offline-banner').waitFor({ state: 'detached', timeout: 60_000 });
    } finally {
      stop();
    }
    expect(refused).toBe(2);
    const lines = await member.evaluate(() => (window as unknown as { bannerLines: string[] }).bannerLines);
    expect(lines.some((l) => l.includes('Rejoining failed once'))).toBe(true);
    expect(lines.some((l) => l.includes('Rejoining failed 2 times'))).toBe(true);
    const back = canary('Vic: back after two refusals');
    await send(member, back);
    await seen(fac, back);
    expect(await member.getByText(/Security warning/).count()).toBe(0);
    for (const p of [fac, member]) await p.context().close();
  }, 180_000);

  it('a facilitator closes the browser, opens it again with the same storage, unlocks, reopens the group from "My groups" and opens a session', async () => {
    const groupName = canary('Monday circle');
    const facName = canary('Hal');
    const passphrase = 'correct horse battery staple';
    const f = await rig.newPerson('facilitator (next week)');
    const invite = await createGroup(rig, f, groupName, facName);
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
    const page = await rig.newPerson('facilitator (next week, reopened)', { storageState });
    await rig.open(page, `${rig.ready().relay.origin}/`);
    await page.getByRole('button', { name: 'My groups' }).click();
    await heading(page, 'Welcome back').waitFor();
    await page.getByLabel('Passphrase').fill(passphrase);
    await page.getByRole('button', { name: 'Unlock' }).click();
    await heading(page, 'My groups').waitFor();
    await page.getByRole('heading', { level: 2, name: groupName }).waitFor();
    await rig.screen(page, '18-my-groups');
    // Keyboard: the group's button is reached and pressed without a mouse.
    const openIt = page.getByRole('button', { name: `Open ${groupName}` });
    await openIt.focus();
    await page.keyboard.press('Enter');
    await heading(page, groupName).waitFor();
    await openSession(page);
    await send(page, canary('Hal: welcome back, everyone'));
  }, 120_000);

  it('the invite link opened again in the same tab after "Session closed" works; quick exit then Back never shows Kindred', async () => {
    const group = canary('Reopen circle');
    const { fac, member, invite } = await facilitatorAndMember(rig, { label: 'reopen', group, facilitator: 'Ama', member: 'Bea' });
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
    const f = await rig.newPerson('facilitator (reload)');
    const one = await rig.newPerson('one-off member (reload)');
    const kept = await rig.newPerson('kept-key member (reload)');
    const invite = await createGroup(rig, f, groupName, facName);
    await openSession(f);
    await joinToWaitingRoom(rig, one, invite, groupName, ida);
    await admit(f, one, ida);
    await joinToWaitingRoom(rig, kept, invite, groupName, jo, { keepKeyPassphrase: passphrase });
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
    await rig.screen(one, '19-reloaded-member');
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
    await rig.screen(f, '21-reloaded-facilitator');
    // The invite links made before the reload are there to share again.
    await consoleTab(f, 'Session');
    await expect.poll(() => f.locator('.invite-list input').first().inputValue()).toBe(invite);
    const f3 = canary('Kim: my page reloaded as well');
    await send(f, f3);
    await seen(one, f3);
    await seen(kept, f3);
    for (const p of [f, one, kept]) expect(await p.getByText(/Security warning/).count()).toBe(0);

    // A relay that no longer holds what was shown before: one calm line says so.
    const lost = rig.tap.tamper((p) => {
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
    await rig.screen(one, '20-reloaded-history-gone');

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

  it('a tab discarded while offline comes back with what was typed and not yet sent, and sends it once', async () => {
    const { fac, member } = await facilitatorAndMember(rig, { label: 'discarded tab', group: canary('Discard circle'), facilitator: 'Pia', member: 'Quin' });
    const typed = canary('Quin: typed on the bus');
    await member.context().setOffline(true);
    await member.getByText('You are offline.').waitFor();
    await composer(member).fill(typed);
    await composer(member).press('Enter');
    await member.locator('.msg.waiting', { hasText: typed }).waitFor();
    // The tab's place (saved within a second) holds the message; then the phone discards the tab.
    const place = async () => (await webStorage(member)).session['kindred.place'] ?? '';
    await expect.poll(place).toContain(typed);
    const kept = await place();
    const url = member.url();
    await member.close();

    // The browser restores the tab later, online: its sessionStorage comes back with it (set before the app starts).
    const restored = await rig.newPerson('member (discarded tab, restored)');
    await restored.addInitScript((value: string) => sessionStorage.setItem('kindred.place', value), kept);
    await restored.goto(url);
    await restored.getByRole('heading', { name: 'Conversation' }).waitFor();
    await log(restored).locator('.msg.own', { hasText: typed }).waitFor();
    await expect.poll(() => restored.locator('.msg.waiting').count()).toBe(0);
    await seen(fac, typed);
    await send(fac, canary('Pia: glad it reached me'));
    expect((await log(fac).locator('.msg-text').allTextContents()).filter((t) => t === typed)).toHaveLength(1);
    expect(await restored.getByText(/Security warning/).count()).toBe(0);
    for (const p of [fac, restored]) await p.context().close();
    await member.context().close();
  }, 180_000);

  it('the next session, set by the facilitator in Paris, shows in Tokyo time on the closed screen and in the lobby, with a neutral .ics', async () => {
    const group = canary('Monday circle');
    const { fac, member, invite } = await facilitatorAndMember(rig, {
      label: 'next session',
      group,
      facilitator: 'Noor',
      member: 'Ode',
      facilitatorProfile: { timezoneId: 'Europe/Paris', locale: 'en-GB' },
      memberProfile: { timezoneId: 'Asia/Tokyo', locale: 'en-GB' },
    });

    // 19:30 on Monday 4 March 2030 in Paris (UTC+1) is 18:30 UTC, 03:30 on Tuesday 5 March in Tokyo.
    await consoleTab(fac, 'Session');
    await fac.getByLabel('Date and time (your time)').fill('2030-03-04T19:30');
    await fac.getByLabel('Length').selectOption('90');
    await fac.getByRole('button', { name: 'Save the next session' }).click();
    await fac.getByText(/^Set for Monday,? 4 March 2030 at 19:30/).waitFor();
    await rig.screen(fac, '29-next-session-form');
    await fac.getByRole('button', { name: 'Close the circle (end the session)' }).click();
    await fac.getByRole('button', { name: 'Yes, close the circle' }).click();

    await heading(member, 'Session closed').waitFor();
    const next = member.locator('.next-session time');
    await expect.poll(() => next.textContent()).toMatch(/^Tuesday,? 5 March 2030 at 03:30/);
    expect(await next.getAttribute('datetime')).toBe('2030-03-04T18:30:00.000Z');
    expect(await member.locator('.next-session').textContent()).toContain('Next session:');
    await rig.screen(member, '30-closed-next-session');

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
    const late = await rig.newPerson('next-late', { timezoneId: 'Asia/Tokyo', locale: 'en-GB' });
    await rig.open(late, invite);
    await heading(late, 'No session right now').waitFor();
    await expect.poll(() => late.locator('.next-session time').textContent()).toMatch(/^Tuesday,? 5 March 2030 at 03:30/);
    await rig.screen(late, '31-no-session-next-session');
    for (const p of [fac, member, late]) await p.context().close();
  }, 180_000);

  rig.declareCleanRunTest();
});
