import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { isKindredError } from '../errors';
import { fingerprint, generateIdentity, identityFromSeed, identitySeed, memberIdOf, requireFingerprint } from './identity';
import { initCrypto } from './sodium';

beforeAll(initCrypto);

describe('identity', () => {
  it('generates distinct Ed25519 key pairs of the libsodium layout', () => {
    const a = generateIdentity();
    const b = generateIdentity();
    expect(a.publicKey.length).toBe(32);
    expect(a.secretKey.length).toBe(64);
    expect(memberIdOf(a.publicKey)).not.toBe(memberIdOf(b.publicKey));
  });

  it('derives the same pair from the same seed, and the seed back from the pair', () => {
    const seed = new Uint8Array(32).fill(9);
    const a = identityFromSeed(seed);
    expect(identityFromSeed(seed)).toEqual(a);
    expect(identitySeed(a)).toEqual(seed);
    expect(() => identityFromSeed(new Uint8Array(31))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });

  it('names a member by the base64url of its public key', () => {
    const a = identityFromSeed(new Uint8Array(32).fill(1));
    const id = memberIdOf(a.publicKey);
    expect(id).toHaveLength(43);
    expect(fromBase64Url(id)).toEqual(a.publicKey);
    expect(() => memberIdOf(new Uint8Array(33))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
  });

  it('fingerprints a key the same whether given as bytes or id; 16 bytes; different keys differ', () => {
    const a = identityFromSeed(new Uint8Array(32).fill(1));
    const b = identityFromSeed(new Uint8Array(32).fill(2));
    const fa = fingerprint(a.publicKey);
    expect(fingerprint(memberIdOf(a.publicKey))).toBe(fa);
    expect(fromBase64Url(fa)).toHaveLength(16);
    expect(fingerprint(b.publicKey)).not.toBe(fa);
    expect(() => fingerprint(toBase64Url(new Uint8Array(16)))).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    requireFingerprint(memberIdOf(a.publicKey), fa);
    try {
      requireFingerprint(memberIdOf(b.publicKey), fa);
      expect.unreachable();
    } catch (e) {
      expect(isKindredError(e, 'FINGERPRINT_MISMATCH')).toBe(true);
    }
  });
});
