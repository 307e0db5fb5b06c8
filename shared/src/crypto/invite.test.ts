import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { isKindredError } from '../errors';
import { fingerprint, identityFromSeed } from './identity';
import { checkInviteGate, createInviteSecret, formatInviteFragment, inviteGateHash, inviteGateToken, parseInviteFragment, type InviteLink } from './invite';
import { KDF_CONTEXT } from './labels';
import { initCrypto, sodium } from './sodium';

let link: InviteLink;
beforeAll(async () => {
  await initCrypto();
  link = {
    groupId: toBase64Url(new Uint8Array(16).fill(7)),
    inviteId: toBase64Url(new Uint8Array(16).fill(9)),
    secret: createInviteSecret(),
    creatorFingerprint: fingerprint(identityFromSeed(new Uint8Array(32).fill(1)).publicKey),
  };
});

describe('invite fragment', () => {
  it('round-trips, with or without the leading #', () => {
    const f = formatInviteFragment(link);
    expect(f).toMatch(/^k1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}$/);
    expect(parseInviteFragment(f)).toEqual(link);
    expect(parseInviteFragment(`#${f}`)).toEqual(link);
  });

  it('refuses junk (MALFORMED)', () => {
    const f = formatInviteFragment(link);
    const parts = f.split('.');
    const swap = (i: number, v: string) => parts.map((p, j) => (j === i ? v : p)).join('.');
    const bad = [
      '',
      '#',
      'k1',
      f.replace(/^k1/, 'k2'),
      `${f}.`,
      `${f}.x`,
      f.slice(0, -1),
      parts.slice(0, 4).join('.'),
      swap(1, parts[1]!.slice(1)),
      swap(2, `${parts[2]!}A`),
      swap(3, parts[3]!.replace(/^./, '+')),
      swap(3, toBase64Url(new Uint8Array(31))),
      swap(4, toBase64Url(new Uint8Array(32))),
      swap(1, `${parts[1]!.slice(0, 21)}B`), // non-canonical trailing bits
      f.replace(/\./g, ':'),
      `##${f}`,
      `${f} `,
      'k1.' + 'A'.repeat(300),
    ];
    for (const b of bad) {
      try {
        parseInviteFragment(b);
        expect.unreachable(b);
      } catch (e) {
        expect(isKindredError(e, 'MALFORMED'), b).toBe(true);
      }
    }
    expect(() => formatInviteFragment({ ...link, secret: new Uint8Array(16) })).toThrow(expect.objectContaining({ code: 'BAD_LENGTH' }));
    expect(() => formatInviteFragment({ ...link, groupId: 'x' })).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });
});

describe('invite gate', () => {
  it('derives a token the relay can check against the hash it stores', () => {
    const token = inviteGateToken(link.secret);
    expect(fromBase64Url(token)).toHaveLength(32);
    expect(inviteGateToken(link.secret)).toBe(token);
    const stored = inviteGateHash(token);
    expect(stored).not.toBe(token);
    expect(checkInviteGate(token, stored)).toBe(true);
    expect(checkInviteGate(inviteGateToken(createInviteSecret()), stored)).toBe(false);
    expect(checkInviteGate(stored, stored)).toBe(false); // the stored hash is not a token
    expect(checkInviteGate('junk', stored)).toBe(false);
    expect(checkInviteGate(token, 'junk')).toBe(false);
  });

  it('keeps the token apart from the secret and from the card key', () => {
    const token = fromBase64Url(inviteGateToken(link.secret));
    const cardKey = sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CARD_KEY, link.secret);
    expect(token).not.toEqual(link.secret);
    expect(token).not.toEqual(cardKey);
  });
});
