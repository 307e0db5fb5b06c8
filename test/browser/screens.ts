/**
 * Each screen is checked the same way: axe-core finds no serious or critical violation and nothing runs off the side
 * of the screen, at desktop size (1280x800) and 360x740 (a phone), and a full-page screenshot of both is saved under
 * test-results/screens/.
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

/**
 * Elements that stick out of the viewport sideways (a table wider than a phone, a long word that does not wrap), as
 * short CSS paths; only the outermost of a run of them, and nothing inside a container meant to scroll sideways.
 */
export async function overflowingElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const scrollsSideways = (el: Element): boolean => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    const sticksOut = (el: Element): boolean => {
      const r = el.getBoundingClientRect();
      return r.width > 1 && r.height > 1 && (r.right > width + 1 || r.left < -1);
    };
    const path = (el: Element): string =>
      [el.parentElement?.tagName.toLowerCase(), el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : '')]
        .filter(Boolean)
        .join(' > ');
    const found: string[] = [];
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      if (!sticksOut(el)) continue;
      let up = el.parentElement;
      let covered = false;
      while (up && up !== document.body) {
        if (scrollsSideways(up) || sticksOut(up)) covered = true;
        up = up.parentElement;
      }
      if (!covered) found.push(`${path(el)} (right edge at ${Math.round(el.getBoundingClientRect().right)} px)`);
    }
    return found;
  });
}

/** axe and the overflow check at both widths (problems named with the width) and the two screenshots `<name>-desktop.png`, `<name>-360.png`. */
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
    for (const el of await overflowingElements(page)) problems.push(`${name} @${label}: wider than the screen: ${el}`);
    // From the top: the sticky banner would otherwise be drawn mid-page where a focused field scrolled the view.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SCREENSHOT_DIR}${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(size);
  return problems;
}
