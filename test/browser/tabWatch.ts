/**
 * What a browser tab did that the test must check afterwards: every URL it asked for (HTTP requests and WebSockets),
 * every CSP violation and every uncaught page error.
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface TabWatch {
  /** Every http(s)/ws(s) URL requested by any page of the context. */
  urls: string[];
  /** Console errors that report a Content-Security-Policy violation. */
  cspViolations: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
}

/** Schemes that never leave the machine (inline data, object URLs, the initial blank page). */
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'about:']);

export function watchContext(context: BrowserContext): TabWatch {
  const watch: TabWatch = { urls: [], cspViolations: [], pageErrors: [] };
  context.on('request', (request) => {
    watch.urls.push(request.url());
  });
  const onPage = (page: Page) => {
    page.on('websocket', (ws) => watch.urls.push(ws.url()));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && /Content.Security.Policy/i.test(msg.text())) watch.cspViolations.push(msg.text());
    });
    page.on('pageerror', (e) => watch.pageErrors.push(`${e.name}: ${e.message}`));
  };
  context.pages().forEach(onPage);
  context.on('page', onPage);
  return watch;
}

/** URLs whose origin is not the relay's (a ws:// URL counts as the relay's when host and port match). */
export function foreignUrls(watch: TabWatch, relayOrigin: string): string[] {
  const relay = new URL(relayOrigin);
  return watch.urls.filter((raw) => {
    const u = new URL(raw);
    if (LOCAL_SCHEMES.has(u.protocol)) return false;
    const scheme = u.protocol === 'ws:' ? 'http:' : u.protocol === 'wss:' ? 'https:' : u.protocol;
    return scheme !== relay.protocol || u.host !== relay.host;
  });
}
