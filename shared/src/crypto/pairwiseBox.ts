/**
 * crypto_box between two session keys, with the X25519 shared key computed once per peer (`crypto_box_beforenm`)
 * and reused by `crypto_box_easy_afternm` / `crypto_box_open_easy_afternm`. The result is byte-for-byte the same
 * as `crypto_box_easy` (which computes the same shared key on every call); a rekey of a 100-member group then costs
 * 99 XSalsa20-Poly1305 boxes instead of 99 scalar multiplications. The cache lives no longer than the session key
 * and is wiped with it.
 */
import { toBase64Url } from '../encoding';
import { KindredError } from '../errors';
import { expectBytes, sodium, wipe } from './sodium';
import type { SessionKeyPair } from './types';

export interface PairwiseKeys {
  readonly keyPair: SessionKeyPair;
  /** The crypto_box shared key with `peerPk`, computed on first use. */
  sharedKey(peerPk: Uint8Array): Uint8Array;
  /** Erases every cached shared key (at the session's end, with the session secret key). */
  wipe(): void;
}

export function createPairwiseKeys(keyPair: SessionKeyPair): PairwiseKeys {
  const cache = new Map<string, Uint8Array>();
  return {
    keyPair,
    sharedKey(peerPk) {
      expectBytes(peerPk, 32, 'session public key');
      const id = toBase64Url(peerPk);
      let k = cache.get(id);
      if (!k) {
        try {
          k = sodium().crypto_box_beforenm(peerPk, keyPair.secretKey);
        } catch (cause) {
          // libsodium refuses a peer key that gives an all-zero shared secret (a low-order point).
          throw new KindredError('BAD_LENGTH', 'session public key is not usable', { cause });
        }
        cache.set(id, k);
      }
      return k;
    },
    wipe() {
      for (const k of cache.values()) wipe(k);
      cache.clear();
    },
  };
}

/** `crypto_box_easy(plaintext, nonce, peerPk, mySk)` through the cached shared key. */
export function boxTo(pairwise: PairwiseKeys, peerPk: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array): Uint8Array {
  return sodium().crypto_box_easy_afternm(plaintext, expectBytes(nonce, 24, 'nonce'), pairwise.sharedKey(peerPk));
}

/** `crypto_box_open_easy`; DECRYPT_FAILED when the box does not authenticate under this pair of keys. */
export function openFrom(pairwise: PairwiseKeys, peerPk: Uint8Array, box: Uint8Array, nonce: Uint8Array): Uint8Array {
  const key = pairwise.sharedKey(peerPk);
  try {
    return sodium().crypto_box_open_easy_afternm(box, expectBytes(nonce, 24, 'nonce'), key);
  } catch (cause) {
    throw new KindredError('DECRYPT_FAILED', 'box', { cause });
  }
}

/** The pairwise keys to use: the caller's cache, or a one-off one for this call (wiped by the caller via `done`). */
export function pairwiseFor(me: SessionKeyPair | PairwiseKeys): { pw: PairwiseKeys; done: () => void } {
  if ('sharedKey' in me) return { pw: me, done: () => {} };
  const pw = createPairwiseKeys(me);
  return { pw, done: () => pw.wipe() };
}
