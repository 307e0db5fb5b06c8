/**
 * Test support for the crypto unit tests (imported by *.test.ts only, never by shipped code): error-code checks,
 * fixed ids and identities that are the same in every run, and the default group policy.
 */
import { toBase64Url } from '../encoding';
import { isKindredError, type ErrorCode } from '../errors';
import type { RosterPolicy } from '../protocol/objects';
import { identityFromSeed } from './identity';
import type { IdentityKeyPair } from './types';

/** Runs `fn` and throws unless it throws a KindredError with `code`. */
export function expectCode(fn: () => unknown, code: ErrorCode): void {
  try {
    fn();
  } catch (e) {
    if (!isKindredError(e, code)) throw new Error(`expected ${code}, got ${String(e)}`, { cause: e });
    return;
  }
  throw new Error(`expected ${code}, nothing was thrown`);
}

/** Runs `f` and returns the KindredError code it throws (or 'none'). */
export function codeOf(f: () => unknown): string {
  try {
    f();
    return 'none';
  } catch (e) {
    return (e as { code?: string }).code ?? `not a KindredError: ${String(e)}`;
  }
}

/** `length` bytes all equal to `byte`, as base64url: a fixed id or digest. */
export const filled = (length: number, byte: number): string => toBase64Url(new Uint8Array(length).fill(byte));

/** The identity whose 32-byte seed is all `byte` (call after initCrypto). */
export const seededIdentity = (byte: number): IdentityKeyPair => identityFromSeed(new Uint8Array(32).fill(byte));

export const GROUP = filled(16, 7);
export const OTHER_GROUP = filled(16, 8);
export const POLICY: RosterPolicy = { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false };
