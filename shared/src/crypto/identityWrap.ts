/**
 * The identity key at rest: its 32-byte Ed25519 seed encrypted with XChaCha20-Poly1305
 * (`crypto_aead_xchacha20poly1305_ietf_encrypt`) under a 32-byte key from Argon2id13 (`crypto_pwhash`) of the
 * passphrase. The result is a plain JSON object (protocol/objects.ts `WrappedIdentity`) the client keeps in
 * IndexedDB. Format and bounds: docs/PROTOCOL.md part A, "Identity at rest".
 */
import { KindredError } from '../errors';
import { fromBase64Url, toBase64Url, utf8 } from '../encoding';
import { WrappedIdentity, OBJECT_FORMAT_VERSION } from '../protocol/objects';
import { labelled } from './canonical';
import { identityFromSeed, identitySeed, memberIdOf } from './identity';
import { LABEL } from './labels';
import { expectBytes, randomBytes, sodium, wipe } from './sodium';
import type { IdentityKeyPair } from './types';

export interface WrapParams {
  /** Argon2id passes (`crypto_pwhash` opslimit). */
  opslimit: number;
  /** Argon2id memory in bytes (`crypto_pwhash` memlimit). */
  memlimit: number;
}

/**
 * Default at rest: libsodium's MODERATE passes (3) with half its memory (128 MiB instead of 256 MiB). A phone
 * browser must allocate the whole memlimit inside the WebAssembly heap at every unlock; 128 MiB keeps that
 * within reach of mid-range phones while costing a guesser ~0.5 s and 128 MiB per guess on a desktop core.
 */
export const WRAP_PARAMS_AT_REST: Readonly<WrapParams> = Object.freeze({ opslimit: 3, memlimit: 128 * 1024 * 1024 });
/** libsodium's INTERACTIVE (2 passes, 64 MiB): allowed for low-memory devices, and the floor for real use. */
export const WRAP_PARAMS_INTERACTIVE: Readonly<WrapParams> = Object.freeze({ opslimit: 2, memlimit: 64 * 1024 * 1024 });
/** The least work wrapIdentity and unwrapIdentity accept unless a test explicitly allows weaker parameters. */
export const WRAP_PARAMS_MIN: Readonly<WrapParams> = WRAP_PARAMS_INTERACTIVE;

/**
 * Test-only knobs. Production code never passes these: a fixed salt or nonce would make two wraps comparable and
 * reuse a nonce, and weak parameters make passphrase guessing cheap. They exist so that vectors are reproducible
 * and tests stay fast.
 */
export interface WrapTestingOptions {
  salt?: Uint8Array;
  nonce?: Uint8Array;
  /** Accept Argon2id parameters below WRAP_PARAMS_MIN (down to libsodium's own minimum: 1 pass, 8 KiB). */
  allowWeakParams?: boolean;
}

const ALG = 'argon2id13' as const;
const KEY_BYTES = 32;

/** Everything of the wrapped object but the nonce and ciphertext, as associated data: the AEAD then binds the
 * public key (so a ciphertext cannot be passed off as another identity's) and the KDF inputs. */
function associatedData(w: Omit<WrappedIdentity, 'nonce' | 'ct'>): Uint8Array {
  return labelled(LABEL.IDENTITY_WRAP_AD, { v: w.v, alg: w.alg, opslimit: w.opslimit, memlimit: w.memlimit, salt: w.salt, publicKey: w.publicKey });
}

function isWeak(p: WrapParams): boolean {
  return p.opslimit < WRAP_PARAMS_MIN.opslimit || p.memlimit < WRAP_PARAMS_MIN.memlimit;
}

/** Passphrases are NFKC-normalised so that the same words typed on two keyboards give the same key. */
function deriveKey(passphrase: string, salt: Uint8Array, p: WrapParams): Uint8Array {
  const s = sodium();
  return s.crypto_pwhash(KEY_BYTES, utf8(passphrase.normalize('NFKC')), salt, p.opslimit, p.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
}

/** Wraps an identity under a passphrase. Throws BAD_REQUEST for an empty passphrase or parameters out of bounds. */
export function wrapIdentity(ik: IdentityKeyPair, passphrase: string, params: WrapParams = WRAP_PARAMS_AT_REST, testing?: WrapTestingOptions): WrappedIdentity {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new KindredError('BAD_REQUEST', 'empty passphrase');
  if (isWeak(params) && !testing?.allowWeakParams) throw new KindredError('BAD_REQUEST', 'Argon2id parameters below the minimum');
  const s = sodium();
  const salt = testing?.salt ? expectBytes(testing.salt, s.crypto_pwhash_SALTBYTES, 'salt') : randomBytes(s.crypto_pwhash_SALTBYTES);
  const nonce = testing?.nonce ? expectBytes(testing.nonce, 24, 'nonce') : randomBytes(24);
  const head = { v: OBJECT_FORMAT_VERSION, alg: ALG, opslimit: params.opslimit, memlimit: params.memlimit, salt: toBase64Url(salt), publicKey: memberIdOf(ik.publicKey) };
  const parsedHead = WrappedIdentity.omit({ nonce: true, ct: true }).safeParse(head);
  if (!parsedHead.success) throw new KindredError('BAD_REQUEST', 'Argon2id parameters out of bounds', { cause: parsedHead.error });
  const seed = identitySeed(ik);
  const key = deriveKey(passphrase, salt, params);
  try {
    const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(seed, associatedData(head), null, nonce, key);
    return { ...head, nonce: toBase64Url(nonce), ct: toBase64Url(ct) };
  } finally {
    wipe(seed, key);
  }
}

/**
 * Unwraps an identity. `wrapped` is whatever was loaded from storage: it is validated here. Throws
 * UNWRAP_FAILED for a wrong passphrase, any damage (shape, bounds, tag, a seed that does not give the stated
 * public key) and for parameters below WRAP_PARAMS_MIN unless a test allows them.
 */
export function unwrapIdentity(wrapped: unknown, passphrase: string, testing?: Pick<WrapTestingOptions, 'allowWeakParams'>): IdentityKeyPair {
  const parsed = WrappedIdentity.safeParse(wrapped);
  if (!parsed.success) throw new KindredError('UNWRAP_FAILED', 'stored record malformed', { cause: parsed.error });
  const w = parsed.data;
  if (isWeak(w) && !testing?.allowWeakParams) throw new KindredError('UNWRAP_FAILED', 'Argon2id parameters below the minimum');
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new KindredError('UNWRAP_FAILED', 'empty passphrase');
  const key = deriveKey(passphrase, fromBase64Url(w.salt), w);
  let seed: Uint8Array | undefined;
  try {
    seed = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64Url(w.ct), associatedData(w), fromBase64Url(w.nonce), key);
  } catch (cause) {
    throw new KindredError('UNWRAP_FAILED', undefined, { cause });
  } finally {
    wipe(key);
  }
  try {
    const ik = identityFromSeed(seed);
    if (memberIdOf(ik.publicKey) !== w.publicKey) {
      wipe(ik.secretKey);
      throw new KindredError('UNWRAP_FAILED', 'seed does not match the stated public key');
    }
    return ik;
  } finally {
    wipe(seed);
  }
}
