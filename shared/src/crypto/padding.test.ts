import { beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_BUCKETS, MESSAGE_BUCKETS, maxPlaintext, padToBucket, paddedLength, unpadFromBucket } from './padding';
import { bytesEqual, initCrypto } from './sodium';
import { codeOf } from './testkit';

beforeAll(initCrypto);

describe('padding', () => {
  it('pads to the smallest bucket that holds the plaintext and the 0x80 marker', () => {
    const cases: [number, number][] = [[0, 256], [255, 256], [256, 1024], [1023, 1024], [1024, 4096], [4095, 4096], [16_383, 16_384], [16_384, 65_536], [65_535, 65_536]];
    for (const [n, bucket] of cases) {
      expect([n, paddedLength(n)]).toEqual([n, bucket]);
      const pt = new Uint8Array(n).fill(7);
      const padded = padToBucket(pt);
      expect(padded.length).toBe(bucket);
      // ISO/IEC 7816-4: the plaintext, one 0x80, then zeros.
      expect(padded[n]).toBe(0x80);
      expect(padded.subarray(n + 1).findIndex((b) => b !== 0)).toBe(-1);
      expect(bytesEqual(unpadFromBucket(padded), pt)).toBe(true);
    }
  });

  it('refuses a plaintext larger than the largest bucket (PAYLOAD_TOO_LARGE)', () => {
    expect(maxPlaintext()).toBe(65_535);
    expect(codeOf(() => padToBucket(new Uint8Array(65_536)))).toBe('PAYLOAD_TOO_LARGE');
    expect(codeOf(() => padToBucket(new Uint8Array(16_384), DIRECT_BUCKETS))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a padded length that is not a bucket, and padding without its marker (MALFORMED)', () => {
    expect(codeOf(() => unpadFromBucket(new Uint8Array(300)))).toBe('MALFORMED');
    expect(codeOf(() => unpadFromBucket(new Uint8Array(256)))).toBe('MALFORMED');
    const p = padToBucket(new Uint8Array([1, 2, 3]));
    p[3] = 0x81;
    expect(codeOf(() => unpadFromBucket(p))).toBe('MALFORMED');
    expect(codeOf(() => unpadFromBucket(new Uint8Array(65_536).fill(0x80), DIRECT_BUCKETS))).toBe('MALFORMED');
    expect(MESSAGE_BUCKETS).toEqual([256, 1024, 4096, 16_384, 65_536]);
  });
});
