/** Building blocks of the wire schemas: opaque ids and fixed-length byte strings as base64url. */
import { z } from 'zod';

/** base64url without padding of exactly `n` bytes. */
export function b64Bytes(n: number) {
  const len = Math.ceil((n * 4) / 3);
  return z.string().length(len).regex(/^[A-Za-z0-9_-]+$/, 'base64url');
}

/** base64url of at most `max` bytes (ciphertexts, boxes). */
export function b64Max(max: number) {
  return z
    .string()
    .min(1)
    .max(Math.ceil((max * 4) / 3))
    .regex(/^[A-Za-z0-9_-]+$/, 'base64url');
}

/** A member is named by its Ed25519 identity public key. */
export const MemberId = b64Bytes(32);
/** Group, session, invite and key ids are 16 random bytes. */
export const OpaqueId = b64Bytes(16);
export const Hash32 = b64Bytes(32);
export const Signature = b64Bytes(64);
export const Nonce24 = b64Bytes(24);
export const X25519PublicKey = b64Bytes(32);

export const MAX_MESSAGE_CIPHERTEXT = 70_000; // largest padding bucket (65,536) plus the AEAD tag, rounded up
export const MAX_TEXT_LENGTH = 8_000; // characters of one chat message, checked by clients before padding
