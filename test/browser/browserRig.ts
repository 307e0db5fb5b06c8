/**
 * What every browser test file shares: the real relay serving the BUILT client (client/dist, SQLite in memory) with a
 * wire tap that can play a dishonest relay, one Chromium, and people, each a fresh browser context (own cookies,
 * storage and IndexedDB) whose every tab is watched. Each screen passes axe and the overflow check at 1280 and 360 px
 * and is photographed (screens.ts); `declareCleanRunTest` declares the file's last test: only the relay was talked to, under
 * the CSP, with no page error, no invite secret in any URL or relay log line, and every screen passed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { WireTap } from '../support/wireTap';
import { launchChromium } from './chromium';
import { CLIENT_DIST, requireBuiltClient, startRelayWithClient, type RelayWithClient } from './relayWithClient';
import { checkScreen, DESKTOP } from './screens';
import { foreignUrls, watchContext, type TabWatch } from './tabWatch';

/** Generous per-step limit for locators (a slow CI machine decrypting with WebAssembly), far below a test's. */
export const STEP_TIMEOUT_MS = 20_000;

export interface BrowserRig {
  /** The relay and the browser, once started (throws with requireBuiltClient's sentence when nothing is built). */
  ready(): { relay: RelayWithClient; browser: Browser };
  /** Plays a dishonest relay when a test asks it to (records nothing). */
  tap: WireTap;
  /** A fresh browser profile with one tab, watched; 1280x800 unless said otherwise. */
  newPerson(name: string, options?: BrowserContextOptions): Promise<Page>;
  /** axe, the overflow check and screenshots of the page at both sizes (screens.ts). */
  screen(page: Page, name: string): Promise<void>;
  /** Navigates, and notes how long the tab's history was then (quick exit must leave no entry behind). */
  open(page: Page, url: string): Promise<void>;
  historyAtOpen(page: Page): number | undefined;
  /** Notes the secret of an invite link made (k2.<group>.<invite>.<SECRET>...): it must never reach the relay. */
  noteInvite(invite: string): void;
  /** Declares the file's last test: what every tab of the file talked to, and what every screen it checked showed. */
  declareCleanRunTest(): void;
}

/** Starts the relay and the browser before the file's tests and stops them after; call at the top of a test file. */
export function useBrowserRig(): BrowserRig {
  let relay: RelayWithClient | null = null;
  let browser: Browser | null = null;
  const tap = new WireTap(false);
  const watches: { name: string; watch: TabWatch }[] = [];
  const problems: string[] = [];
  const inviteSecrets: string[] = [];
  const history = new WeakMap<Page, number>();

  beforeAll(async () => {
    // Without a built client there is nothing to test: the tests fail with requireBuiltClient's sentence.
    if (!existsSync(join(CLIENT_DIST, 'index.html'))) return;
    relay = await startRelayWithClient();
    tap.attach(relay.app.io);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await relay?.close();
  });

  const ready = (): { relay: RelayWithClient; browser: Browser } => {
    requireBuiltClient();
    if (!relay || !browser) throw new Error('the relay or the browser did not start (see the error of beforeAll)');
    return { relay, browser };
  };

  return {
    ready,
    tap,
    async newPerson(name, options = {}) {
      const context = await ready().browser.newContext({ viewport: DESKTOP, ...options });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      watches.push({ name, watch: watchContext(context) });
      return context.newPage();
    },
    async screen(page, name) {
      problems.push(...(await checkScreen(page, name)));
    },
    async open(page, url) {
      await page.goto(url);
      history.set(page, await page.evaluate(() => window.history.length));
    },
    historyAtOpen: (page) => history.get(page),
    noteInvite(invite) {
      const secret = invite.slice(invite.indexOf('#/join/') + '#/join/'.length).split('.')[3];
      expect(secret?.length).toBeGreaterThanOrEqual(22);
      inviteSecrets.push(secret ?? '');
    },
    declareCleanRunTest() {
      it('talked to the relay only, under the CSP, with no page error, no invite secret sent, and every screen passed', () => {
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
        const everyUrl = watches.flatMap(({ watch }) => watch.urls).join('\n');
        const relayLog = ready().relay.logs.join('\n');
        for (const secret of inviteSecrets) {
          expect(everyUrl).not.toContain(secret);
          expect(relayLog).not.toContain(secret);
        }
        expect(problems).toEqual([]);
      });
    },
  };
}
