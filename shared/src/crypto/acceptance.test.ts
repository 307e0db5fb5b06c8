import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import { signAcceptance, verifyAcceptance } from './acceptance';
import { identityFromSeed, memberIdOf } from './identity';
import { initCrypto } from './sodium';
import { expectCode, GROUP } from './testkit';
import type { IdentityKeyPair } from './types';

const SESSION = toBase64Url(new Uint8Array(16).fill(21));
const DIGEST = toBase64Url(new Uint8Array(32).fill(3));
let ik: IdentityKeyPair;
let me: string;

beforeAll(async () => {
  await initCrypto();
  ik = identityFromSeed(new Uint8Array(32).fill(1));
  me = memberIdOf(ik.publicKey);
});

describe('rules acceptance', () => {
  it('verifies for the same group, session, digest and member', () => {
    const a = signAcceptance(ik, { groupId: GROUP, sessionId: SESSION, rulesDigest: DIGEST, agreement: true });
    expect(a.body.member).toBe(me);
    expect(verifyAcceptance(a, { groupId: GROUP, sessionId: SESSION, rulesDigest: DIGEST, member: me, requireAgreement: true })).toEqual(a);
  });

  it('refuses another session or group (WRONG_SESSION), member (FORBIDDEN), revision or missing agreement (RULES_NOT_ACCEPTED)', () => {
    const a = signAcceptance(ik, { groupId: GROUP, sessionId: SESSION, rulesDigest: DIGEST, agreement: false });
    const exp = { groupId: GROUP, sessionId: SESSION, rulesDigest: DIGEST };
    expectCode(() => verifyAcceptance(a, { ...exp, sessionId: toBase64Url(new Uint8Array(16).fill(22)) }), 'WRONG_SESSION');
    expectCode(() => verifyAcceptance(a, { ...exp, groupId: toBase64Url(new Uint8Array(16).fill(8)) }), 'WRONG_SESSION');
    expectCode(() => verifyAcceptance(a, { ...exp, member: memberIdOf(identityFromSeed(new Uint8Array(32).fill(2)).publicKey) }), 'FORBIDDEN');
    expectCode(() => verifyAcceptance(a, { ...exp, rulesDigest: toBase64Url(new Uint8Array(32).fill(4)) }), 'RULES_NOT_ACCEPTED');
    expectCode(() => verifyAcceptance(a, { ...exp, requireAgreement: true }), 'RULES_NOT_ACCEPTED');
    verifyAcceptance(a, exp);
  });

  it('refuses a changed body or signature (BAD_SIGNATURE) and junk (MALFORMED)', () => {
    const a = signAcceptance(ik, { groupId: GROUP, sessionId: SESSION, rulesDigest: DIGEST, agreement: false });
    const exp = { groupId: GROUP, sessionId: SESSION, rulesDigest: DIGEST };
    expectCode(() => verifyAcceptance({ body: { ...a.body, agreement: true }, sig: a.sig }, exp), 'BAD_SIGNATURE');
    const other = memberIdOf(identityFromSeed(new Uint8Array(32).fill(2)).publicKey);
    expectCode(() => verifyAcceptance({ body: { ...a.body, member: other }, sig: a.sig }, exp), 'BAD_SIGNATURE');
    const s = fromBase64Url(a.sig);
    s[0]! ^= 1;
    expectCode(() => verifyAcceptance({ body: a.body, sig: toBase64Url(s) }, exp), 'BAD_SIGNATURE');
    expectCode(() => verifyAcceptance({ body: a.body }, exp), 'MALFORMED');
    expectCode(() => signAcceptance(ik, { groupId: 'x', sessionId: SESSION, rulesDigest: DIGEST, agreement: false }), 'MALFORMED');
  });
});
