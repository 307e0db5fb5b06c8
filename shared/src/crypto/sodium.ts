/**
 * The one place libsodium is loaded. Every crypto module calls `sodium()` after `await initCrypto()`; the
 * library is the sumo build because Argon2id (`crypto_pwhash`) is not in the standard build.
 */
import sodiumLib from 'libsodium-wrappers-sumo';
import { KindredError } from '../errors';

let ready = false;

/** Resolves once libsodium's WebAssembly is instantiated. Safe to call many times. */
export async function initCrypto(): Promise<void> {
  await sodiumLib.ready;
  ready = true;
}

export function sodium(): typeof sodiumLib {
  if (!ready) throw new KindredError('INTERNAL', 'initCrypto() was not awaited');
  return sodiumLib;
}

/** Checks a byte string's length at every entry, with a labelled error (noble-hashes style). */
export function expectBytes(value: Uint8Array, length: number, what: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new KindredError('BAD_LENGTH', `${what}: expected ${length} bytes`);
  }
  return value;
}

/** Constant-time equality of two byte strings (`sodium_memcmp`); false for different lengths. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && sodium().memcmp(a, b);
}

interface WebCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
}
// shared/ compiles without the DOM and Node libraries: the one WebCrypto call used here is declared locally.
const webCrypto = (globalThis as { crypto?: WebCrypto }).crypto;
/** WebCrypto refuses more than 65,536 bytes per call. */
const MAX_RANDOM_CHUNK = 65_536;

/**
 * Random bytes straight from the platform CSPRNG (WebCrypto `getRandomValues`, in every browser and in Node >= 19).
 * Why not `sodium.randombytes_buf`: libsodium.js has no entropy of its own and calls back into JavaScript for every
 * 32-bit word (about 5 µs per byte in Node, measured by `pnpm bench:crypto`), so a 24-byte nonce cost more than the
 * message's Ed25519 signature. This is the same source read in one call; libsodium's path is the fallback.
 */
export function randomBytes(n: number): Uint8Array {
  if (!webCrypto || typeof webCrypto.getRandomValues !== 'function') return sodium().randombytes_buf(n);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += MAX_RANDOM_CHUNK) webCrypto.getRandomValues(out.subarray(i, Math.min(n, i + MAX_RANDOM_CHUNK)));
  return out;
}

/** Overwrites secret material in place (`sodium_memzero`). */
export function wipe(...secrets: (Uint8Array | undefined)[]): void {
  for (const s of secrets) if (s) sodium().memzero(s);
}
