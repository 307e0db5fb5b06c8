/**
 * Random bytes for the message hot path, straight from the platform CSPRNG (WebCrypto `getRandomValues`, present in
 * every browser and in Node >= 19 as `globalThis.crypto`).
 *
 * Why not `sodium.randombytes_buf`: libsodium.js has no entropy of its own; its `randombytes` calls back into
 * JavaScript for every 32-bit word (`getRandomValues(new Uint32Array(1))` in browsers, `require('crypto')
 * .randomBytes(4)` in Node). Measured by `pnpm bench:crypto` and its probes: about 5 µs per byte in Node, so a
 * 24-byte nonce cost more than the Ed25519 signature of the message. This is the same source, read in one call.
 * Falls back to libsodium where WebCrypto is missing.
 */
import { sodium } from './sodium';

interface WebCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
}
// shared/ compiles without the DOM and Node libraries: the one WebCrypto call used here is declared locally.
const webCrypto = (globalThis as { crypto?: WebCrypto }).crypto;

/** WebCrypto refuses more than 65,536 bytes per call. */
const MAX_CHUNK = 65_536;

export function csprngBytes(n: number): Uint8Array {
  if (!webCrypto || typeof webCrypto.getRandomValues !== 'function') return sodium().randombytes_buf(n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += MAX_CHUNK) webCrypto.getRandomValues(out.subarray(i, Math.min(n, i + MAX_CHUNK)));
  return out;
}
