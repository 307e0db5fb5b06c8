/**
 * Length hiding: every plaintext is padded to one of a few bucket sizes before encryption, so a ciphertext's
 * length reveals only its bucket (SECURITY.md, "message length hidden"). The padding is ISO/IEC 7816-4
 * (`sodium_pad`: one 0x80 byte then zeros), removed by `sodium_unpad`, which runs in constant time.
 *
 * sodium_pad always adds at least one byte, so a plaintext of exactly a bucket's size goes to the next bucket;
 * the largest plaintext is the largest bucket minus one.
 */
import { KindredError } from '../errors';
import { sodium } from './sodium';

/**
 * Buckets of an Envelope's padded plaintext. Powers of four from 256 B: a short chat line (the common case) costs
 * 256 B, and each larger bucket wastes at most 4x, which keeps a 4 KiB message in 4 KiB, not 64 KiB.
 */
export const MESSAGE_BUCKETS: readonly number[] = [256, 1024, 4096, 16_384, 65_536];
/** Buckets of a DirectBox: the same without the largest, since a DirectBox carries at most 20,000 bytes. */
export const DIRECT_BUCKETS: readonly number[] = [256, 1024, 4096, 16_384];
/**
 * Buckets of an encrypted group card (canonical JSON of the signed card, rarely under 1 KiB): powers of four from
 * 1 KiB, then the most EncryptedGroupCard's 40,000 ciphertext bytes hold (40,000 minus the 16-byte tag).
 */
export const CARD_BUCKETS: readonly number[] = [1024, 4096, 16_384, 40_000 - 16];

/** Largest plaintext that fits in `buckets` (one byte goes to the 0x80 marker). */
export function maxPlaintext(buckets: readonly number[] = MESSAGE_BUCKETS): number {
  return buckets[buckets.length - 1]! - 1;
}

/** The bucket a plaintext of `length` bytes is padded to; PAYLOAD_TOO_LARGE beyond the largest bucket. */
export function paddedLength(length: number, buckets: readonly number[] = MESSAGE_BUCKETS): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new KindredError('BAD_REQUEST', 'length');
  for (const b of buckets) if (length < b) return b;
  throw new KindredError('PAYLOAD_TOO_LARGE', `plaintext over ${maxPlaintext(buckets)} bytes`);
}

/** `sodium_pad(plaintext, bucket)`: exactly `paddedLength(plaintext.length)` bytes, a fresh copy. */
export function padToBucket(plaintext: Uint8Array, buckets: readonly number[] = MESSAGE_BUCKETS): Uint8Array {
  const bucket = paddedLength(plaintext.length, buckets);
  // plaintext.length < bucket, so padding to a multiple of `bucket` gives exactly one bucket.
  return sodium().pad(plaintext, bucket);
}

/** `sodium_unpad`: MALFORMED when the length is not a bucket or the padding is not ISO/IEC 7816-4. */
export function unpadFromBucket(padded: Uint8Array, buckets: readonly number[] = MESSAGE_BUCKETS): Uint8Array {
  if (!buckets.includes(padded.length)) throw new KindredError('MALFORMED', 'padded length is not a bucket');
  try {
    return sodium().unpad(padded, padded.length);
  } catch (cause) {
    throw new KindredError('MALFORMED', 'padding', { cause });
  }
}
