/**
 * Identity keys: one Ed25519 key pair per device (`crypto_sign_keypair`). A member is named by its public key
 * (the member id, base64url of the 32 bytes); invite links carry a short fingerprint of the creator's key.
 */
import { KindredError } from '../errors';
import { toBase64Url } from '../encoding';
import { labelled } from './canonical';
import { LABEL } from './labels';
import { memberKey } from './signedObject';
import { expectBytes, sodium } from './sodium';
import type { IdentityKeyPair } from './types';

/** Bytes of a fingerprint: 128 bits (see fingerprint()). */
export const FINGERPRINT_BYTES = 16;

/** A fresh identity key pair from the system CSPRNG (`crypto_sign_keypair`). */
export function generateIdentity(): IdentityKeyPair {
  const kp = sodium().crypto_sign_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/**
 * The key pair of a 32-byte seed (`crypto_sign_seed_keypair`). Used to restore a wrapped identity (the wrap
 * stores the seed) and by tests and vectors; a live identity comes from generateIdentity().
 */
export function identityFromSeed(seed: Uint8Array): IdentityKeyPair {
  expectBytes(seed, 32, 'identity seed');
  const kp = sodium().crypto_sign_seed_keypair(seed);
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

/** The 32-byte seed of an identity secret key (`crypto_sign_ed25519_sk_to_seed`): what is wrapped at rest. */
export function identitySeed(ik: IdentityKeyPair): Uint8Array {
  expectBytes(ik.secretKey, 64, 'Ed25519 secret key');
  return sodium().crypto_sign_ed25519_sk_to_seed(ik.secretKey);
}

/** A member id: base64url (no padding) of the 32-byte Ed25519 public key, always 43 characters. */
export function memberIdOf(publicKey: Uint8Array): string {
  return toBase64Url(expectBytes(publicKey, 32, 'Ed25519 public key'));
}

/**
 * Fingerprint of an identity key, as carried in invite links: BLAKE2b-128 (`crypto_generichash`, 16 bytes) over
 * `LABEL.FINGERPRINT || 0x00 || canonical({"member": memberId})`, base64url (22 characters).
 *
 * Why 16 bytes: a fingerprint is only ever checked against a key someone else already chose (the genesis signer
 * the relay serves must match the fingerprint in the link). Forging one is a second-preimage search, 2^128 work
 * for a 128-bit BLAKE2b output; collision resistance (2^64) would only help the creator fool itself, and the
 * creator is the root of trust anyway. The shorter value keeps the link short enough to read aloud or type.
 */
export function fingerprint(key: Uint8Array | string): string {
  const id = typeof key === 'string' ? memberIdOf(memberKey(key)) : memberIdOf(key);
  return toBase64Url(sodium().crypto_generichash(FINGERPRINT_BYTES, labelled(LABEL.FINGERPRINT, { member: id }), null));
}

/** Throws FINGERPRINT_MISMATCH unless `memberId` has the fingerprint `expected` (public values: plain compare). */
export function requireFingerprint(memberId: string, expected: string): void {
  if (fingerprint(memberId) !== expected) throw new KindredError('FINGERPRINT_MISMATCH');
}
