import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { isKindredError } from '../errors';
import { createAuthChallenge, signAuthChallenge, verifyAuthChallenge } from './authChallenge';
import { identityFromSeed, memberIdOf } from './identity';
import { LABEL } from './labels';
import { verifyObject } from './signedObject';
import { initCrypto } from './sodium';

beforeAll(initCrypto);

describe('auth challenge', () => {
  it('verifies a signed challenge for the signing member only', () => {
    const ik = identityFromSeed(new Uint8Array(32).fill(1));
    const other = memberIdOf(identityFromSeed(new Uint8Array(32).fill(2)).publicKey);
    const me = memberIdOf(ik.publicKey);
    const ch = createAuthChallenge();
    expect(fromBase64Url(ch)).toHaveLength(32);
    const sig = signAuthChallenge(ik, ch);
    expect(verifyAuthChallenge(me, ch, sig)).toBe(true);
    expect(verifyAuthChallenge(other, ch, sig)).toBe(false);
    expect(verifyAuthChallenge(me, createAuthChallenge(), sig)).toBe(false);
    const s = fromBase64Url(sig);
    s[10]! ^= 4;
    expect(verifyAuthChallenge(me, ch, toBase64Url(s))).toBe(false);
    // never throws on junk
    expect(verifyAuthChallenge('nope', ch, sig)).toBe(false);
    expect(verifyAuthChallenge(me, 'short', sig)).toBe(false);
    expect(verifyAuthChallenge(me, ch, '!!')).toBe(false);
    // the signature is only good under its own label
    expect(verifyObject(LABEL.ROSTER_ENTRY, { challenge: ch, member: me }, sig, ik.publicKey)).toBe(false);
  });

  it('refuses to sign anything but a 32-byte challenge (BAD_LENGTH)', () => {
    const ik = identityFromSeed(new Uint8Array(32).fill(1));
    try {
      signAuthChallenge(ik, toBase64Url(new Uint8Array(16)));
      expect.unreachable();
    } catch (e) {
      expect(isKindredError(e, 'BAD_LENGTH')).toBe(true);
    }
  });
});
