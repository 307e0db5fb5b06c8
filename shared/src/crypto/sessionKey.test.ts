import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding';
import { createSessionKey, verifySessionKey, wipeSessionKey } from './sessionKey';
import { initCrypto, sodium } from './sodium';
import { id16, newIdentity } from './groupFixture.testkit';
import { codeOf } from './testkit';

beforeAll(initCrypto);

describe('session keys', () => {
  it('publishes an X25519 public key signed by the identity key, bound to group, session and member', () => {
    const ik = newIdentity();
    const g = id16();
    const s = id16();
    const { keyPair, signed } = createSessionKey(ik, g, s);
    const member = toBase64Url(ik.publicKey);
    expect(signed.body).toMatchObject({ v: 1, groupId: g, sessionId: s, member, gen: 0 });
    expect(verifySessionKey(signed, { groupId: g, sessionId: s, member })).toEqual(keyPair.publicKey);
    expect(sodium().crypto_scalarmult_base(keyPair.secretKey)).toEqual(keyPair.publicKey);
  });

  it('refuses another group or session (WRONG_SESSION)', () => {
    const { signed } = createSessionKey(newIdentity(), id16(), id16());
    expect(codeOf(() => verifySessionKey(signed, { groupId: id16(), sessionId: signed.body.sessionId }))).toBe('WRONG_SESSION');
    expect(codeOf(() => verifySessionKey(signed, { groupId: signed.body.groupId, sessionId: id16() }))).toBe('WRONG_SESSION');
  });

  it("refuses a key not signed by its member's identity key (SESSION_KEY_UNSIGNED)", () => {
    const ik = newIdentity();
    const mallory = newIdentity();
    const { signed } = createSessionKey(ik, id16(), id16());
    const exp = { groupId: signed.body.groupId, sessionId: signed.body.sessionId };
    // Mallory's own session key relabelled as ik's member: the signature is Mallory's, not the member's.
    const forged = createSessionKey(mallory, exp.groupId, exp.sessionId).signed;
    expect(codeOf(() => verifySessionKey({ ...forged, body: { ...forged.body, member: signed.body.member } }, exp))).toBe('SESSION_KEY_UNSIGNED');
    // The member's signature over another session key (a relay swapping keys).
    const otherPk = toBase64Url(sodium().crypto_box_keypair().publicKey);
    expect(codeOf(() => verifySessionKey({ ...signed, body: { ...signed.body, sessionPk: otherPk } }, exp))).toBe('SESSION_KEY_UNSIGNED');
    // The generation is signed: a relay cannot raise an old key's generation (or lower a new one's).
    const later = createSessionKey(ik, exp.groupId, exp.sessionId, { generation: 7 }).signed;
    expect(later.body.gen).toBe(7);
    expect(codeOf(() => verifySessionKey({ ...signed, body: { ...signed.body, gen: 8 } }, exp))).toBe('SESSION_KEY_UNSIGNED');
    expect(codeOf(() => verifySessionKey({ ...later, body: { ...later.body, gen: 6 } }, exp))).toBe('SESSION_KEY_UNSIGNED');
    // Valid, but for someone other than the member we asked for.
    expect(codeOf(() => verifySessionKey(forged, { ...exp, member: signed.body.member }))).toBe('SESSION_KEY_UNSIGNED');
  });

  it('refuses a bad shape (MALFORMED) and another version (BAD_VERSION)', () => {
    const { signed } = createSessionKey(newIdentity(), id16(), id16());
    const exp = { groupId: signed.body.groupId, sessionId: signed.body.sessionId };
    expect(codeOf(() => verifySessionKey({ ...signed, body: { ...signed.body, v: 2 } }, exp))).toBe('BAD_VERSION');
    expect(codeOf(() => verifySessionKey({ ...signed, extra: 1 }, exp))).toBe('MALFORMED');
    expect(codeOf(() => verifySessionKey(null, exp))).toBe('MALFORMED');
  });

  it('wipes the secret key at the session end', () => {
    const { keyPair } = createSessionKey(newIdentity(), id16(), id16());
    wipeSessionKey(keyPair);
    expect(keyPair.secretKey.every((b) => b === 0)).toBe(true);
  });
});
