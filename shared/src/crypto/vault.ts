/**
 * The device vault: what a kept-key device remembers about its groups (verified roster chains, names, cards, invite
 * secrets), sealed as one record so that nothing about any group is readable at rest. XChaCha20-Poly1305 under a key
 * derived from the identity seed with its own KDF context, the plaintext padded to a bucket so that the record's size
 * says little about how many groups or how long their histories are. Format: docs/PROTOCOL.md part A, "Device vault".
 *
 * Why the identity seed and not a second Argon2id run: the vault then opens exactly when the identity is unlocked,
 * with no second passphrase derivation (~0.5 s on a phone) and no change to the wrapped identity; reading it needs
 * the seed, which is itself behind Argon2id, so the vault is as strong as the wrapped identity and no stronger.
 * `crypto_kdf_derive_from_key` (BLAKE2b keyed by the seed, context "KdVaultK") is independent of the Ed25519 key
 * (SHA-512 of the seed), so neither tells anything about the other.
 */
import { KindredError } from '../errors';
import { fromBase64Url, fromUtf8, toBase64Url } from '../encoding';
import { SealedVault, VaultContent, VAULT_VERSION } from '../protocol/vault';
import { canonicalBytes, labelled } from './canonical';
import { identitySeed, memberIdOf } from './identity';
import { KDF_CONTEXT, LABEL } from './labels';
import { padToBucket, unpadFromBucket } from './padding';
import { expectBytes, randomBytes, sodium, wipe } from './sodium';
import type { IdentityKeyPair } from './types';

/** Padding buckets of the vault plaintext: powers of four from 4 KiB to 16 MiB. */
export const VAULT_BUCKETS: readonly number[] = [4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216];
/** crypto_kdf subkey id of the vault key under the identity seed. */
export const VAULT_SUBKEY_ID = 1;

/** The 32-byte vault key of an identity (the caller wipes it). */
export function vaultKey(ik: IdentityKeyPair): Uint8Array {
  const seed = identitySeed(ik);
  try {
    return sodium().crypto_kdf_derive_from_key(32, VAULT_SUBKEY_ID, KDF_CONTEXT.VAULT_KEY, seed);
  } finally {
    wipe(seed);
  }
}

function associatedData(ik: IdentityKeyPair): Uint8Array {
  return labelled(LABEL.VAULT_AD, { v: VAULT_VERSION, member: memberIdOf(ik.publicKey) });
}

/**
 * Seals the vault content. PAYLOAD_TOO_LARGE when its canonical JSON does not fit the largest bucket; MALFORMED when
 * it does not match the schema. `fixed.nonce` is for test vectors only.
 */
export function sealVault(ik: IdentityKeyPair, content: VaultContent, fixed?: { nonce: Uint8Array }): SealedVault {
  const parsed = VaultContent.safeParse(content);
  if (!parsed.success) throw new KindredError('MALFORMED', 'vault content', { cause: parsed.error });
  const padded = padToBucket(canonicalBytes(parsed.data), VAULT_BUCKETS);
  const nonce = fixed ? expectBytes(fixed.nonce, 24, 'vault nonce') : randomBytes(24);
  const key = vaultKey(ik);
  try {
    const ct = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(padded, associatedData(ik), null, nonce, key);
    return { v: VAULT_VERSION, nonce: toBase64Url(nonce), ct: toBase64Url(ct) };
  } finally {
    wipe(key, padded);
  }
}

/**
 * Opens a stored record (anything loaded from storage: checked here). MALFORMED for a bad record shape, BAD_VERSION
 * for another vault version, DECRYPT_FAILED when the tag fails (another identity, tampering), MALFORMED when the
 * padding or the content is wrong. The roster chains inside still have to be re-verified by the caller.
 */
export function openVault(ik: IdentityKeyPair, stored: unknown): VaultContent {
  if (typeof stored === 'object' && stored !== null && 'v' in stored && (stored as { v: unknown }).v !== VAULT_VERSION) {
    throw new KindredError('BAD_VERSION', 'vault');
  }
  const record = SealedVault.safeParse(stored);
  if (!record.success) throw new KindredError('MALFORMED', 'vault record', { cause: record.error });
  const key = vaultKey(ik);
  let padded: Uint8Array;
  try {
    padded = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64Url(record.data.ct), associatedData(ik), fromBase64Url(record.data.nonce), key);
  } catch (cause) {
    throw new KindredError('DECRYPT_FAILED', 'vault', { cause });
  } finally {
    wipe(key);
  }
  try {
    let json: unknown;
    try {
      json = JSON.parse(fromUtf8(unpadFromBucket(padded, VAULT_BUCKETS)));
    } catch (cause) {
      throw new KindredError('MALFORMED', 'vault content', { cause });
    }
    const content = VaultContent.safeParse(json);
    if (!content.success) throw new KindredError('MALFORMED', 'vault content', { cause: content.error });
    return content.data;
  } finally {
    wipe(padded);
  }
}

/** An empty vault. */
export function emptyVault(): VaultContent {
  return { v: VAULT_VERSION, groups: [] };
}
