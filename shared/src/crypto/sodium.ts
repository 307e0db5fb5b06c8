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

export function randomBytes(n: number): Uint8Array {
  return sodium().randombytes_buf(n);
}

/** Overwrites secret material in place (`sodium_memzero`). */
export function wipe(...secrets: (Uint8Array | undefined)[]): void {
  for (const s of secrets) if (s) sodium().memzero(s);
}
