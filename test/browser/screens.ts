/**
 * Each screen is checked the same way: axe-core finds no serious or critical violation, at desktop size (1280x800)
 * and 360x740 (a phone), and a full-page screenshot of both is saved under test-results/screens/.
 *
 * How axe gets into a page served under `script-src 'self'`: page.addScriptTag inserts an inline <script>, which the
 * CSP blocks, and `bypassCSP` would switch the CSP off for the whole context (hiding a CSP regression in the app).
 * Instead the source of axe.min.js is evaluated through the DevTools protocol (page.evaluate of a string), which
 * CSP does not govern; the app keeps running under its real policy.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/screens/', import.meta.url));
export const DESKTOP = { width: 1280, height: 800 } as const;
/** A common phone: 360 CSS pixels wide, 740 high. */
export const NARROW = { width: 360, height: 740 } as const;

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

interface AxeResultsLike {
  violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] }[];
}
declare global {
  interface Window {
    axe?: { run(context: Document, options: object): Promise<AxeResultsLike> };
  }
}

/** Serious and critical axe violations on the page as it is now (every rule axe runs by default). */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  const present = await page.evaluate(() => typeof window.axe !== 'undefined');
  if (!present) await page.evaluate(AXE_SOURCE);
  const found = await page.evaluate(async () => {
    const r = await window.axe!.run(document, { resultTypes: ['violations'] }); // injected just above
    return r.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** axe at both widths (problems named with the width) and the two screenshots `<name>-desktop.png`, `<name>-360.png`. */
export async function checkScreen(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const problems: string[] = [];
  const size = page.viewportSize() ?? DESKTOP;
  for (const [label, viewport] of [
    ['desktop', DESKTOP],
    ['360', NARROW],
  ] as const) {
    await page.setViewportSize(viewport);
    for (const v of await seriousAxeViolations(page)) problems.push(`${name} @${label}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(', ')}`);
    // From the top: the sticky banner would otherwise be drawn mid-page where a focused field scrolled the view.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SCREENSHOT_DIR}${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(size);
  return problems;
}
