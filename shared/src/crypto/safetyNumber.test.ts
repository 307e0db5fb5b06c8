import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding';
import { identityFromSeed, memberIdOf } from './identity';
import { epochCode, safetyNumber, safetyNumberQrPayload, verifySafetyNumberQr } from './safetyNumber';
import { initCrypto } from './sodium';

let A: string, B: string, C: string;
beforeAll(async () => {
  await initCrypto();
  [A, B, C] = [1, 2, 3].map((i) => memberIdOf(identityFromSeed(new Uint8Array(32).fill(i)).publicKey)) as [string, string, string];
});

describe('safety numbers', () => {
  it('are 60 digits in 12 groups of 5, the same in both orders, different for different pairs', () => {
    const n = safetyNumber(A, B);
    expect(n).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(safetyNumber(B, A)).toBe(n);
    expect(safetyNumber(A, C)).not.toBe(n);
    expect(safetyNumber(B, C)).not.toBe(n);
    expect(() => safetyNumber(A, 'x')).toThrow();
  });

  it('QR payload names both keys and verifies only for the right pair', () => {
    const p = safetyNumberQrPayload(A, B);
    expect(safetyNumberQrPayload(B, A)).toBe(p);
    expect(p.startsWith('kindred-sn:v1:')).toBe(true);
    expect(verifySafetyNumberQr(p, A, B)).toBe(true);
    expect(verifySafetyNumberQr(p, B, A)).toBe(true);
    expect(verifySafetyNumberQr(p, A, C)).toBe(false);
    expect(verifySafetyNumberQr(safetyNumberQrPayload(A, A), A, A)).toBe(false);
    expect(verifySafetyNumberQr('junk', A, B)).toBe(false);
  });
});

describe('epoch codes', () => {
  it('are 3 groups of 4 digits, stable per head, different for different heads', () => {
    const h1 = toBase64Url(new Uint8Array(32).fill(1));
    const h2 = toBase64Url(new Uint8Array(32).fill(2));
    expect(epochCode(h1)).toMatch(/^\d{4} \d{4} \d{4}$/);
    expect(epochCode(h1)).toBe(epochCode(h1));
    expect(epochCode(h1)).not.toBe(epochCode(h2));
    expect(() => epochCode(toBase64Url(new Uint8Array(16)))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });
});
