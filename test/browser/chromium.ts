/**
 * Debian's Chromium driven by playwright-core (no downloaded browser). test/scripts/runAll.mjs installs the package
 * when it is missing; KINDRED_CHROMIUM points elsewhere if needed.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.KINDRED_CHROMIUM ?? '/usr/bin/chromium';

/** No sandbox (containers, root); nothing that would make the browser itself call Google's servers. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Each launch gets playwright's fresh temporary profile; every context in it is a separate, empty browser profile. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}. Install Debian's package (apt-get install chromium; \`pnpm test\` does it) ` +
        'or set KINDRED_CHROMIUM to a Chromium binary.',
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}
