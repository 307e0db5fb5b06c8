/**
 * Knock proofs: signed with the invite's key, checked against the verified roster. Every check has its code; a
 * relay without the invite secret cannot sign one, and a real one moved to another knock is refused.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding';
import type { SignedKnockProof } from '../protocol/objects';
import { signAcceptance } from './acceptance';
import { generateIdentity, memberIdOf } from './identity';
import { createInviteSecret, invitePublicKey, inviteSigningKeyPair } from './invite';
import { acceptanceHash, knockProofHash, signKnockProof, verifyKnockProof, type KnockToProve } from './knockProof';
import { applyRosterEntry, createGenesis, signRosterEntry } from './roster';
import { createSessionKey } from './sessionKey';
import { initCrypto } from './sodium';
import { codeOf, expectCode, filled, GROUP, OTHER_GROUP, POLICY, seededIdentity } from './testkit';
import type { IdentityKeyPair, RosterState } from './types';

const SESSION = filled(16, 31);
const INVITE = filled(16, 41);
const OTHER_INVITE = filled(16, 42);
let creator: IdentityKeyPair, knocker: IdentityKeyPair, secret: Uint8Array, roster: RosterState, knock: KnockToProve, proof: SignedKnockProof;

function knockOf(ik: IdentityKeyPair, digest = filled(32, 9)): KnockToProve {
  return {
    groupId: GROUP,
    sessionId: SESSION,
    member: memberIdOf(ik.publicKey),
    acceptance: signAcceptance(ik, { groupId: GROUP, sessionId: SESSION, rulesDigest: digest, agreement: true }),
    sessionKey: createSessionKey(ik, GROUP, SESSION).signed,
  };
}

beforeAll(async () => {
  await initCrypto();
  creator = seededIdentity(1);
  knocker = seededIdentity(2);
  secret = createInviteSecret();
  let s = applyRosterEntry(null, createGenesis(creator, GROUP, POLICY));
  s = applyRosterEntry(s, signRosterEntry(s, { type: 'sessionOpen', sessionId: SESSION }, creator));
  s = applyRosterEntry(s, signRosterEntry(s, { type: 'invite', inviteId: INVITE, invitePk: invitePublicKey(secret) }, creator));
  roster = s;
  knock = knockOf(knocker);
  proof = signKnockProof(inviteSigningKeyPair(secret), INVITE, knock);
});

describe('knock proof', () => {
  it('verifies a proof by the invite key of a live invite, and names the invite', () => {
    expect(verifyKnockProof(proof, knock, roster)).toEqual({ id: INVITE, pk: invitePublicKey(secret) });
    expect(proof.body).toMatchObject({ groupId: GROUP, sessionId: SESSION, member: knock.member, inviteId: INVITE, acceptance: acceptanceHash(knock.acceptance) });
    expect(knockProofHash(proof)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a knock without a proof is KNOCK_UNPROVEN; a damaged one MALFORMED; another version BAD_VERSION', () => {
    expectCode(() => verifyKnockProof(undefined, knock, roster), 'KNOCK_UNPROVEN');
    expectCode(() => verifyKnockProof(null, knock, roster), 'KNOCK_UNPROVEN');
    expectCode(() => verifyKnockProof({ body: proof.body }, knock, roster), 'MALFORMED');
    expectCode(() => verifyKnockProof({ ...proof, extra: 1 }, knock, roster), 'MALFORMED');
    expectCode(() => verifyKnockProof({ ...proof, body: { ...proof.body, v: 0 } }, knock, roster), 'BAD_VERSION');
  });

  it('a proof signed with any other key (the relay has no invite secret) is BAD_SIGNATURE', () => {
    const forged = signKnockProof(generateIdentity(), INVITE, knock);
    expectCode(() => verifyKnockProof(forged, knock, roster), 'BAD_SIGNATURE');
    // The relay's own identity key, or the knocker's: neither is the invite's.
    expectCode(() => verifyKnockProof(signKnockProof(knocker, INVITE, knock), knock, roster), 'BAD_SIGNATURE');
    // Another invite's secret, naming this invite.
    expectCode(() => verifyKnockProof(signKnockProof(inviteSigningKeyPair(createInviteSecret()), INVITE, knock), knock, roster), 'BAD_SIGNATURE');
  });

  it('a real proof moved to another member, session key, acceptance, session or group is refused', () => {
    const relayIk = generateIdentity();
    const relayKnock = knockOf(relayIk);
    expectCode(() => verifyKnockProof(proof, relayKnock, roster), 'KNOCK_UNPROVEN'); // another member
    const otherKey = { ...knock, sessionKey: createSessionKey(knocker, GROUP, SESSION).signed };
    expectCode(() => verifyKnockProof(proof, otherKey, roster), 'KNOCK_UNPROVEN'); // another session key
    const otherAcceptance = { ...knock, acceptance: signAcceptance(knocker, { groupId: GROUP, sessionId: SESSION, rulesDigest: filled(32, 10), agreement: true }) };
    expectCode(() => verifyKnockProof(proof, otherAcceptance, roster), 'KNOCK_UNPROVEN'); // another acceptance
    expectCode(() => verifyKnockProof(proof, { ...knock, sessionId: filled(16, 32) }, roster), 'WRONG_SESSION');
    expectCode(() => verifyKnockProof(proof, { ...knock, groupId: OTHER_GROUP }, roster), 'WRONG_SESSION');
    expectCode(() => verifyKnockProof(proof, knock, { ...roster, groupId: OTHER_GROUP }), 'WRONG_SESSION');
  });

  it('an invite the roster does not list is INVITE_UNKNOWN; a revoked one INVITE_REVOKED (a forged proof for it BAD_SIGNATURE)', () => {
    const other = signKnockProof(inviteSigningKeyPair(secret), OTHER_INVITE, knock);
    expectCode(() => verifyKnockProof(other, knock, roster), 'INVITE_UNKNOWN');
    const revoked = applyRosterEntry(roster, signRosterEntry(roster, { type: 'inviteRevoke', inviteId: INVITE }, creator));
    expectCode(() => verifyKnockProof(proof, knock, revoked), 'INVITE_REVOKED');
    expectCode(() => verifyKnockProof(signKnockProof(generateIdentity(), INVITE, knock), knock, revoked), 'BAD_SIGNATURE');
    // Forgotten past the revoked bound: unknown, still refused.
    expectCode(() => verifyKnockProof(proof, knock, { ...revoked, revokedInvites: [] }), 'INVITE_UNKNOWN');
  });

  it('any change of any field or signature bit is refused (fast-check)', () => {
    const fields = ['groupId', 'sessionId', 'member', 'sessionPk', 'inviteId', 'acceptance', 'sig'] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 1, max: 255 }), (field, at, mask) => {
        const text = field === 'sig' ? proof.sig : proof.body[field];
        const bytes = fromBase64Url(text);
        bytes[at % bytes.length]! ^= mask;
        const changed = toBase64Url(bytes);
        const tampered = field === 'sig' ? { ...proof, sig: changed } : { ...proof, body: { ...proof.body, [field]: changed } };
        return codeOf(() => verifyKnockProof(tampered, knock, roster)) !== 'none';
      }),
      { seed: 20261204, numRuns: 200 },
    );
  });
});
