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
    head: { epoch: 12, hash: toBase64Url(new Uint8Array(32).fill(5)) },
  };
});

describe('invite fragment', () => {
  it('round-trips, with or without the leading #', () => {
    const f = formatInviteFragment(link);
    expect(f).toMatch(/^k2\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{22}\.12\.[A-Za-z0-9_-]{43}$/);
    expect(f).toHaveLength(162);
    expect(parseInviteFragment(f)).toEqual(link);
    expect(parseInviteFragment(`#${f}`)).toEqual(link);
    const longest = formatInviteFragment({ ...link, head: { ...link.head, epoch: 2 ** 31 - 1 } });
    expect(longest).toHaveLength(170);
    expect(parseInviteFragment(longest).head.epoch).toBe(2 ** 31 - 1);
    expect(parseInviteFragment(formatInviteFragment({ ...link, head: { ...link.head, epoch: 0 } })).head.epoch).toBe(0);
  });

  it('refuses the earlier k1 form (no roster head) with BAD_VERSION', () => {
    const parts = formatInviteFragment(link).split('.');
    for (const old of ['k1', ['k1', ...parts.slice(1, 5)].join('.'), ['k1', ...parts.slice(1)].join('.')]) {
      expect(() => parseInviteFragment(old), old).toThrow(expect.objectContaining({ code: 'BAD_VERSION' }));
    }
  });

  it('refuses junk (MALFORMED)', () => {
    const f = formatInviteFragment(link);
    const parts = f.split('.');
    const swap = (i: number, v: string) => parts.map((p, j) => (j === i ? v : p)).join('.');
    const bad = [
      '',
      '#',
      'k2',
      f.replace(/^k2/, 'k3'),
      swap(5, '012'),
      swap(5, '-1'),
      swap(5, '1.5'),
      swap(5, ''),
      swap(5, String(2 ** 31)),
      swap(5, '99999999999'),
      swap(6, parts[6]!.slice(1)),
      swap(6, toBase64Url(new Uint8Array(16))),
      parts.slice(0, 6).join('.'),
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
      'k2.' + 'A'.repeat(300),
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
    expect(() => formatInviteFragment({ ...link, head: { epoch: -1, hash: link.head.hash } })).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
    expect(() => formatInviteFragment({ ...link, head: { epoch: 1, hash: 'x' } })).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
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
