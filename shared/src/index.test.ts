import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, fromUtf8 } from './encoding';
import { canonicalJson } from './crypto/canonical';
import { isKindredError } from './errors';

describe('encoding', () => {
  it('round-trips base64url of every length up to 70', () => {
    for (let n = 0; n <= 70; n++) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      expect(fromBase64Url(toBase64Url(b))).toEqual(b);
    }
  });
  it('rejects padding, foreign characters and non-canonical trailing bits', () => {
    for (const bad of ['AA==', 'A+B/', 'AB', 'A']) {
      try {
        fromBase64Url(bad);
        expect.unreachable(bad);
      } catch (e) {
        expect(isKindredError(e, 'MALFORMED')).toBe(true);
      }
    }
  });
  it('rejects invalid UTF-8', () => {
    expect(() => fromUtf8(new Uint8Array([0xc3, 0x28]))).toThrow();
  });
});

describe('canonical JSON', () => {
  it('sorts keys, drops undefined, refuses floats and class instances', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], c: undefined })).toBe('{"a":[true,null,"x"],"b":1}');
    expect(() => canonicalJson({ a: 1.5 })).toThrow();
    expect(() => canonicalJson(new Date(0))).toThrow();
  });
});
