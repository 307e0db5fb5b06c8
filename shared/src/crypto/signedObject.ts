/**
 * Signing and hashing of canonical objects with a domain-separation label: Ed25519 (`crypto_sign_detached`) and
 * BLAKE2b-256 (`crypto_generichash`) over `label || 0x00 || canonical(body)`. Every signed structure of the
 * protocol goes through here, each with its own label from labels.ts.
 */
import { KindredError } from '../errors';
import { fromBase64Url, toBase64Url } from '../encoding';
import { labelled } from './canonical';
import { expectBytes, sodium } from './sodium';

export function signObject(label: string, body: unknown, secretKey: Uint8Array): string {
  expectBytes(secretKey, 64, 'Ed25519 secret key');
  return toBase64Url(sodium().crypto_sign_detached(labelled(label, body), secretKey));
}

/** True when `sig` is a valid Ed25519 signature by `publicKey` over the labelled body. Never throws on bad input. */
export function verifyObject(label: string, body: unknown, sig: string, publicKey: Uint8Array): boolean {
  try {
    const s = fromBase64Url(sig);
    if (s.length !== 64 || publicKey.length !== 32) return false;
    return sodium().crypto_sign_verify_detached(s, labelled(label, body), publicKey);
  } catch {
    return false;
  }
}

/** Like verifyObject, but throws KindredError(code) when the signature does not verify. */
export function requireSignature(label: string, body: unknown, sig: string, publicKey: Uint8Array, code: 'BAD_SIGNATURE' | 'ROSTER_BAD_SIGNER' | 'SESSION_KEY_UNSIGNED' | 'AUTH_FAILED' = 'BAD_SIGNATURE'): void {
  if (!verifyObject(label, body, sig, publicKey)) throw new KindredError(code);
}

/** BLAKE2b-256 of the labelled canonical value, as raw bytes. */
export function hashObjectBytes(label: string, value: unknown): Uint8Array {
  return sodium().crypto_generichash(32, labelled(label, value), null);
}

/** BLAKE2b-256 of the labelled canonical value, base64url. */
export function hashObject(label: string, value: unknown): string {
  return toBase64Url(hashObjectBytes(label, value));
}

/** Decodes a member id (base64url Ed25519 public key), refusing anything that is not 32 bytes. */
export function memberKey(id: string): Uint8Array {
  const pk = fromBase64Url(id);
  if (pk.length !== 32) throw new KindredError('BAD_LENGTH', 'member id');
  return pk;
}
