/**
 * Security headers on every HTTP response, from one onRequest hook. Hand-written rather than @fastify/helmet: the
 * policy is a dozen fixed strings, the test asserts each exactly, and there is no dependency whose defaults can
 * shift under us.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config';

/**
 * What the web client may load: only its own origin. 'wasm-unsafe-eval' lets libsodium's WebAssembly compile
 * without allowing eval of JavaScript; data: images are the invite QR codes. connect-src 'self' also covers the
 * same-origin ws:/wss: socket (CSP Level 3), and Socket.IO falls back to same-origin polling anyway. React sets
 * style through the CSSOM, which style-src does not restrict, so no 'unsafe-inline' is needed.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "media-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** No powerful feature is used; a support-group chat has no business with the camera, microphone or location. */
export const PERMISSIONS_POLICY = [
  'camera=()',
  'microphone=()',
  'geolocation=()',
  'payment=()',
  'usb=()',
  'serial=()',
  'bluetooth=()',
  'hid=()',
  'midi=()',
  'accelerometer=()',
  'gyroscope=()',
  'magnetometer=()',
  'display-capture=()',
  'browsing-topics=()',
].join(', ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  // An invite URL must never leak to another site through the Referer header.
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'permissions-policy': PERMISSIONS_POLICY,
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  // Nothing the relay answers is worth caching by default (static assets opt in, see staticClient.ts): a shared
  // device must not keep pages in its cache.
  'cache-control': 'no-store',
};

export function registerSecurityHeaders(app: FastifyInstance, config: Pick<Config, 'hstsMaxAgeSeconds'>): void {
  const hsts = config.hstsMaxAgeSeconds > 0 ? `max-age=${config.hstsMaxAgeSeconds}; includeSubDomains` : undefined;
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS);
    // Only over TLS (directly, or via a trusted proxy's X-Forwarded-Proto): browsers ignore it on plain HTTP, and
    // sending it from a plain-HTTP development relay would say something untrue.
    if (hsts !== undefined && request.protocol === 'https') reply.header('strict-transport-security', hsts);
  });
}
