import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import type { GroupCardBody } from '../protocol/objects';
import { decryptGroupCard, encryptGroupCard, rulesDigest, signGroupCard, verifyGroupCard } from './groupCard';
import { fingerprint, memberIdOf } from './identity';
import { createInviteSecret } from './invite';
import { applyRosterEntry, createGenesis, signRosterEntry } from './roster';
import { initCrypto } from './sodium';
import { expectCode, GROUP, OTHER_GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

const BODY: Omit<GroupCardBody, 'signer'> = {
  v: 1,
  groupId: GROUP,
  name: 'Tuesday grief circle',
  groundRules: 'What is said here stays here.',
  codeOfConduct: 'Speak from your own experience.',
  confidentialityLimits: 'Facilitators must act on a risk of serious harm.',
  crisisResources: 'Call your local crisis line.',
  expirySeconds: 3600,
  requireSignedAgreement: true,
  revision: 1,
};
let creator: IdentityKeyPair, ann: IdentityKeyPair, bob: IdentityKeyPair, eve: IdentityKeyPair;
let roster: RosterState;

beforeAll(async () => {
  await initCrypto();
  [creator, ann, bob, eve] = [1, 2, 3, 5].map(seededIdentity) as [IdentityKeyPair, IdentityKeyPair, IdentityKeyPair, IdentityKeyPair];
  let s = applyRosterEntry(null, createGenesis(creator, GROUP, POLICY));
  for (const op of [
    { type: 'admit', member: memberIdOf(ann.publicKey) },
    { type: 'admit', member: memberIdOf(bob.publicKey) },
    { type: 'role', member: memberIdOf(ann.publicKey), role: 'facilitator' },
  ] as const) s = applyRosterEntry(s, signRosterEntry(s, op, creator));
  roster = s;
});

describe('group card signatures', () => {
  it('verifies a card by the creator (fingerprint) and by any facilitator of the roster', () => {
    const card = signGroupCard(BODY, creator);
    expect(card.body.signer).toBe(memberIdOf(creator.publicKey));
    expect(verifyGroupCard(card, { creatorFingerprint: fingerprint(creator.publicKey) })).toEqual(card);
    expect(verifyGroupCard(card, roster)).toEqual(card);
    expect(verifyGroupCard(signGroupCard(BODY, ann), roster).body.signer).toBe(memberIdOf(ann.publicKey));
  });

  it('refuses a card signed by a non-facilitator (NOT_FACILITATOR) or by anyone but the creator (FINGERPRINT_MISMATCH)', () => {
    expectCode(() => verifyGroupCard(signGroupCard(BODY, bob), roster), 'NOT_FACILITATOR');
    expectCode(() => verifyGroupCard(signGroupCard(BODY, eve), roster), 'NOT_FACILITATOR');
    expectCode(() => verifyGroupCard(signGroupCard(BODY, ann), { creatorFingerprint: fingerprint(creator.publicKey) }), 'FINGERPRINT_MISMATCH');
    expectCode(() => verifyGroupCard(signGroupCard({ ...BODY, groupId: OTHER_GROUP }, creator), roster), 'WRONG_SESSION');
  });

  it('refuses any changed field (BAD_SIGNATURE) and every changed signature bit', () => {
    const card = signGroupCard(BODY, creator);
    const trust = { creatorFingerprint: fingerprint(creator.publicKey) };
    const changes: Partial<GroupCardBody>[] = [
      { name: 'Tuesday grief circle!' },
      { groundRules: 'Anything goes.' },
      { codeOfConduct: 'x' },
      { confidentialityLimits: 'none' },
      { crisisResources: 'none' },
      { expirySeconds: 60 },
      { requireSignedAgreement: false },
      { revision: 2 },
      { groupId: OTHER_GROUP },
    ];
    for (const c of changes) expectCode(() => verifyGroupCard({ body: { ...card.body, ...c }, sig: card.sig }, trust), 'BAD_SIGNATURE');
    const sig = fromBase64Url(card.sig);
    for (let bit = 0; bit < 512; bit += 7) {
      const s = sig.slice();
      s[bit >> 3]! ^= 1 << (bit & 7);
      expectCode(() => verifyGroupCard({ body: card.body, sig: toBase64Url(s) }, trust), 'BAD_SIGNATURE');
    }
    expectCode(() => verifyGroupCard({ ...card, extra: 1 }, trust), 'MALFORMED');
    expectCode(() => signGroupCard({ ...BODY, signer: memberIdOf(ann.publicKey) }, creator), 'MALFORMED');
    expectCode(() => signGroupCard({ ...BODY, name: '' }, creator), 'MALFORMED');
  });

  it('rulesDigest names one exact revision', () => {
    const d1 = rulesDigest(signGroupCard(BODY, creator).body);
    expect(fromBase64Url(d1)).toHaveLength(32);
    expect(rulesDigest(signGroupCard(BODY, creator).body)).toBe(d1);
    expect(rulesDigest(signGroupCard({ ...BODY, revision: 2 }, creator).body)).not.toBe(d1);
    expect(rulesDigest(signGroupCard(BODY, ann).body)).not.toBe(d1);
  });
});

describe('group card encryption', () => {
  it('round-trips under the invite secret', () => {
    const card = signGroupCard(BODY, creator);
    const secret = createInviteSecret();
    const enc = encryptGroupCard(card, secret);
    expect(decryptGroupCard(JSON.parse(JSON.stringify(enc)), secret, GROUP)).toEqual(card);
    expect(encryptGroupCard(card, secret).nonce).not.toBe(enc.nonce);
  });

  it('refuses tampered ciphertext, nonce, wrong secret or wrong group (DECRYPT_FAILED)', () => {
    const card = signGroupCard(BODY, creator);
    const secret = createInviteSecret();
    const enc = encryptGroupCard(card, secret);
    const ct = fromBase64Url(enc.ct);
    for (const i of [0, 1, Math.floor(ct.length / 2), ct.length - 17, ct.length - 1]) {
      const c = ct.slice();
      c[i]! ^= 0x80;
      expectCode(() => decryptGroupCard({ ...enc, ct: toBase64Url(c) }, secret, GROUP), 'DECRYPT_FAILED');
    }
    const n = fromBase64Url(enc.nonce);
    n[0]! ^= 1;
    expectCode(() => decryptGroupCard({ ...enc, nonce: toBase64Url(n) }, secret, GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard({ ...enc, ct: toBase64Url(ct.slice(0, -1)) }, secret, GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard(enc, createInviteSecret(), GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard(enc, secret, OTHER_GROUP), 'DECRYPT_FAILED');
    expectCode(() => decryptGroupCard({ ...enc, v: 2 }, secret, GROUP), 'MALFORMED');
    expectCode(() => decryptGroupCard(enc, new Uint8Array(16), GROUP), 'BAD_LENGTH');
  });

  it('refuses a card too large for the relay (PAYLOAD_TOO_LARGE)', () => {
    const big = '\u20ac'.repeat(8000); // 3 UTF-8 bytes each
    const card = signGroupCard({ ...BODY, groundRules: big, codeOfConduct: big }, creator);
    expectCode(() => encryptGroupCard(card, createInviteSecret()), 'PAYLOAD_TOO_LARGE');
  });
});
