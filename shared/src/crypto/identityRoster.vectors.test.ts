/**
 * Known-answer vectors: every value in vectors/identityRoster.vectors.json is recomputed from its fixed inputs and
 * compared exactly. The JSON is the source of truth; a change of format, label or context shows up here.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromBase64Url, fromHex, toBase64Url, toHex } from '../encoding';
import type { GroupCardBody, RosterOp, RosterPolicy, SignedAcceptance, SignedKnockProof, SignedRosterEntry, SignedSessionKey } from '../protocol/objects';
import type { VaultContent } from '../protocol/vault';
import { signAcceptance, verifyAcceptance } from './acceptance';
import { signAuthChallenge, verifyAuthChallenge } from './authChallenge';
import { canonicalBytes, labelled } from './canonical';
import { decryptGroupCard, encryptGroupCard, rulesDigest, signGroupCard, verifyGroupCard } from './groupCard';
import { fingerprint, identityFromSeed, memberIdOf } from './identity';
import { unwrapIdentity, wrapIdentity } from './identityWrap';
import { formatInviteFragment, inviteGateHash, inviteGateToken, invitePublicKey, inviteSigningKeyPair, parseInviteFragment } from './invite';
import { acceptanceHash, knockProofHash, signKnockProof, verifyKnockProof } from './knockProof';
import { createSessionKey } from './sessionKey';
import { KDF_CONTEXT, LABEL } from './labels';
import { applyRosterEntry, createGenesis, rosterEntryHash, signRosterEntry, verifyRosterChain } from './roster';
import { RosterTracker } from './rosterTracker';
import { epochCode, safetyNumber, safetyNumberQrPayload } from './safetyNumber';
import { initCrypto, sodium } from './sodium';
import { openVault, sealVault, vaultKey } from './vault';
import type { IdentityKeyPair, RosterState } from './types';
import raw from './vectors/identityRoster.vectors.json';

interface Vectors {
  identities: { seedHex: string; memberId: string; secretKeyHex: string; fingerprint: string }[];
  authChallenge: { identity: number; challenge: string; signedBytesHex: string; sig: string };
  safetyNumber: { a: number; b: number; number: string; qrPayload: string };
  identityWrap: { identity: number; passphrase: string; saltHex: string; nonceHex: string; params: { opslimit: number; memlimit: number }; wrapped: unknown };
  invite: { groupId: string; inviteId: string; secretHex: string; creator: number; cardKeyHex: string; gateToken: string; gateHash: string; head: { epoch: number; hash: string }; fragment: string };
  groupCard: {
    signer: number; body: Omit<GroupCardBody, 'signer'>; signed: unknown; digestKeyHex: string; rulesDigest: string; nonceHex: string;
    encrypted: { v: number; nonce: string; ct: string };
  };
  roster: {
    groupId: string; policy: RosterPolicy; ops: { op: RosterOp; signer: number }[]; genesisSignedBytesHex: string;
    entries: SignedRosterEntry[]; hashes: string[]; epochCode: string; finalState: RosterState;
  };
  acceptance: { identity: number; input: { groupId: string; sessionId: string; rulesDigest: string; agreement: boolean }; signed: unknown };
  vault: { identity: number; vaultKeyHex: string; nonceHex: string; adHex: string; content: VaultContent; sealed: { v: number; nonce: string; ct: string } };
  knock: {
    signingSeedHex: string; invitePk: string; inviteEntry: SignedRosterEntry; revokeEntry: SignedRosterEntry; sessionKeySeedHex: string;
    sessionKey: SignedSessionKey; acceptanceHash: string; proofSignedBytesHex: string; proof: SignedKnockProof; proofHash: string;
  };
  autoAdmit: { entry: SignedRosterEntry; signedBytesHex: string };
  groupCardNext: { body: Omit<GroupCardBody, 'signer'>; signed: unknown; signedBytesHex: string; rulesDigest: string };
}
const v = raw as unknown as Vectors;
let ids: IdentityKeyPair[] = [];
const mid = (i: number) => v.identities[i]!.memberId;

beforeAll(async () => {
  await initCrypto();
  ids = v.identities.map((x) => identityFromSeed(fromHex(x.seedHex)));
});

describe('identity and roster vectors', () => {
  it('identities: public keys, secret keys, fingerprints', () => {
    v.identities.forEach((x, i) => {
      expect(memberIdOf(ids[i]!.publicKey)).toBe(x.memberId);
      expect(toHex(ids[i]!.secretKey)).toBe(x.secretKeyHex);
      expect(fingerprint(x.memberId)).toBe(x.fingerprint);
    });
  });

  it('auth challenge: signed bytes and signature', () => {
    const a = v.authChallenge;
    expect(toHex(labelled(LABEL.AUTH_CHALLENGE, { challenge: a.challenge, member: mid(a.identity) }))).toBe(a.signedBytesHex);
    expect(signAuthChallenge(ids[a.identity]!, a.challenge)).toBe(a.sig);
    expect(verifyAuthChallenge(mid(a.identity), a.challenge, a.sig)).toBe(true);
  });

  it('safety number and QR payload', () => {
    const s = v.safetyNumber;
    expect(safetyNumber(mid(s.a), mid(s.b))).toBe(s.number);
    expect(safetyNumberQrPayload(mid(s.a), mid(s.b))).toBe(s.qrPayload);
  });

  it('wrapped identity with fixed salt, nonce and small Argon2id parameters', () => {
    const w = v.identityWrap;
    const testing = { salt: fromHex(w.saltHex), nonce: fromHex(w.nonceHex), allowWeakParams: true };
    expect(wrapIdentity(ids[w.identity]!, w.passphrase, w.params, testing)).toEqual(w.wrapped);
    expect(unwrapIdentity(w.wrapped, w.passphrase, { allowWeakParams: true })).toEqual(ids[w.identity]);
  });

  it('invite: card key, gate token, gate hash, fragment', () => {
    const i = v.invite;
    const secret = fromHex(i.secretHex);
    expect(toHex(sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CARD_KEY, secret))).toBe(i.cardKeyHex);
    expect(inviteGateToken(secret)).toBe(i.gateToken);
    expect(inviteGateHash(i.gateToken)).toBe(i.gateHash);
    const link = { groupId: i.groupId, inviteId: i.inviteId, secret, creatorFingerprint: fingerprint(mid(i.creator)), head: i.head };
    // The head is the vector roster's last entry (epoch 2).
    expect(i.head).toEqual({ epoch: 2, hash: v.roster.hashes[2] });
    expect(formatInviteFragment(link)).toBe(i.fragment);
    expect(parseInviteFragment(i.fragment)).toEqual(link);
  });

  it('group card: signature, rules digest, ciphertext with a fixed nonce', () => {
    const c = v.groupCard;
    const signed = signGroupCard(c.body, ids[c.signer]!);
    expect(signed).toEqual(c.signed);
    // The rules digest is keyed: key = crypto_kdf_derive_from_key(32, 1, "KdRulDig", salt), BLAKE2b-256 of the labelled body.
    const salt = fromBase64Url(c.body.salt);
    expect(toHex(sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.RULES_DIGEST_KEY, salt))).toBe(c.digestKeyHex);
    expect(toBase64Url(sodium().crypto_generichash(32, labelled(LABEL.RULES_DIGEST, signed.body), fromHex(c.digestKeyHex)))).toBe(c.rulesDigest);
    expect(rulesDigest(signed.body)).toBe(c.rulesDigest);
    const secret = fromHex(v.invite.secretHex);
    expect(encryptGroupCard(signed, secret, fromHex(c.nonceHex))).toEqual(c.encrypted);
    const back = decryptGroupCard(c.encrypted, secret, c.body.groupId);
    expect(verifyGroupCard(back, { creatorFingerprint: fingerprint(mid(c.signer)) })).toEqual(c.signed);
    // The format, opened with raw libsodium and the vector's card key: canonical(signed card) || 0x80 || zeros, 1,024
    // bytes in all (the first card bucket), under AD labelled("kindred/v1/group-card-ad", {v: 1, groupId}).
    const padded = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(
      null,
      fromBase64Url(c.encrypted.ct),
      labelled(LABEL.GROUP_CARD_AD, { v: 1, groupId: c.body.groupId }),
      fromHex(c.nonceHex),
      fromHex(v.invite.cardKeyHex),
    );
    const canonical = canonicalBytes(c.signed);
    expect(padded.length).toBe(1024);
    expect(padded.subarray(0, canonical.length)).toEqual(canonical);
    expect(padded[canonical.length]).toBe(0x80);
    expect(padded.subarray(canonical.length + 1).every((b) => b === 0)).toBe(true);
  });

  it('roster: a 3-entry chain, its hashes, epoch code and final state', () => {
    const r = v.roster;
    expect(r.entries).toHaveLength(3);
    const entries = [createGenesis(ids[0]!, r.groupId, r.policy)];
    expect(toHex(labelled(LABEL.ROSTER_ENTRY, entries[0]!.body))).toBe(r.genesisSignedBytesHex);
    let state = applyRosterEntry(null, entries[0]);
    for (const { op, signer } of r.ops) {
      const e = signRosterEntry(state, op, ids[signer]!);
      entries.push(e);
      state = applyRosterEntry(state, e);
    }
    expect(entries).toEqual(r.entries);
    expect(entries.map(rosterEntryHash)).toEqual(r.hashes);
    expect(state).toEqual(r.finalState);
    expect(verifyRosterChain(r.entries, { groupId: r.groupId, creatorFingerprint: fingerprint(mid(0)) })).toEqual(r.finalState);
    expect(epochCode(state.head)).toBe(r.epochCode);
    const t = new RosterTracker(r.groupId, fingerprint(mid(0)));
    t.accept(r.entries);
    r.hashes.forEach((h, i) => expect(t.hashAt(i)).toBe(h));
  });

  it('acceptance signature', () => {
    const a = v.acceptance;
    expect(signAcceptance(ids[a.identity]!, a.input)).toEqual(a.signed);
    verifyAcceptance(a.signed, { ...a.input, member: mid(a.identity), requireAgreement: true });
  });

  it('device vault: key, associated data, sealed record with a fixed nonce', () => {
    const w = v.vault;
    const ik = ids[w.identity]!;
    expect(toHex(vaultKey(ik))).toBe(w.vaultKeyHex);
    expect(toHex(sodium().crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.VAULT_KEY, fromHex(v.identities[w.identity]!.seedHex)))).toBe(w.vaultKeyHex);
    expect(toHex(labelled(LABEL.VAULT_AD, { v: 1, member: mid(w.identity) }))).toBe(w.adHex);
    expect(sealVault(ik, w.content, { nonce: fromHex(w.nonceHex) })).toEqual(w.sealed);
    expect(openVault(ik, w.sealed)).toEqual(w.content);
    // With raw libsodium: canonical(content) || 0x80 || zeros, 4,096 bytes (the first vault bucket).
    const padded = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64Url(w.sealed.ct), fromHex(w.adHex), fromHex(w.nonceHex), fromHex(w.vaultKeyHex));
    const canonical = canonicalBytes(w.content);
    expect(padded.length).toBe(4096);
    expect(padded.subarray(0, canonical.length)).toEqual(canonical);
    expect(padded[canonical.length]).toBe(0x80);
    expect(padded.subarray(canonical.length + 1).every((b) => b === 0)).toBe(true);
  });

  it('knock: invite signing key, invite roster entries, acceptance hash, knock proof and its hash', () => {
    const k = v.knock;
    const secret = fromHex(v.invite.secretHex);
    // seed = crypto_kdf_derive_from_key(32, 3, "KdInvSig", secret); key pair = crypto_sign_seed_keypair(seed).
    expect(toHex(sodium().crypto_kdf_derive_from_key(32, 3, KDF_CONTEXT.INVITE_SIGNING, secret))).toBe(k.signingSeedHex);
    expect(toBase64Url(sodium().crypto_sign_seed_keypair(fromHex(k.signingSeedHex)).publicKey)).toBe(k.invitePk);
    expect(invitePublicKey(secret)).toBe(k.invitePk);
    // The invite entry (after the roster vector's chain), signed by the creator, then its revocation.
    const withInvite = signRosterEntry(v.roster.finalState, { type: 'invite', inviteId: v.invite.inviteId, invitePk: k.invitePk }, ids[0]!);
    expect(withInvite).toEqual(k.inviteEntry);
    const state = applyRosterEntry(v.roster.finalState, k.inviteEntry);
    expect(state.invites).toEqual([{ id: v.invite.inviteId, pk: k.invitePk }]);
    // The knocker (identity 2) with a fixed session key and the acceptance vector's shape.
    const a = v.acceptance;
    const acceptance = signAcceptance(ids[2]!, a.input);
    const sessionKey = createSessionKey(ids[2]!, a.input.groupId, a.input.sessionId, { seed: fromHex(k.sessionKeySeedHex) }).signed;
    expect(sessionKey).toEqual(k.sessionKey);
    expect(acceptanceHash(acceptance)).toBe(k.acceptanceHash);
    const knock = { groupId: a.input.groupId, sessionId: a.input.sessionId, member: mid(2), acceptance: acceptance as SignedAcceptance, sessionKey };
    const proof = signKnockProof(inviteSigningKeyPair(secret), v.invite.inviteId, knock);
    expect(proof).toEqual(k.proof);
    expect(toHex(labelled(LABEL.KNOCK_PROOF, k.proof.body))).toBe(k.proofSignedBytesHex);
    expect(knockProofHash(proof)).toBe(k.proofHash);
    expect(verifyKnockProof(k.proof, knock, state)).toEqual({ id: v.invite.inviteId, pk: k.invitePk });
    expect(signRosterEntry(state, { type: 'inviteRevoke', inviteId: v.invite.inviteId }, ids[0]!)).toEqual(k.revokeEntry);
    const revoked = applyRosterEntry(state, k.revokeEntry);
    expect(() => verifyKnockProof(k.proof, knock, revoked)).toThrow(expect.objectContaining({ code: 'INVITE_REVOKED' }) as Error);
  });

  it('autoAdmit: the op after the roster vector\'s chain, its signed bytes, signature and effect', () => {
    const a = v.autoAdmit;
    const entry = signRosterEntry(v.roster.finalState, { type: 'autoAdmit', on: true }, ids[0]!);
    expect(entry).toEqual(a.entry);
    expect(toHex(labelled(LABEL.ROSTER_ENTRY, entry.body))).toBe(a.signedBytesHex);
    const state = applyRosterEntry(v.roster.finalState, a.entry);
    expect(state.policy).toEqual({ ...v.roster.finalState.policy, autoAdmit: true });
    expect(state.rekeyEpoch).toBe(v.roster.finalState.rekeyEpoch);
  });

  it('group card with the next session: canonical signed bytes, signature, keyed digest', () => {
    const c = v.groupCardNext;
    const signed = signGroupCard(c.body, ids[v.groupCard.signer]!);
    expect(signed).toEqual(c.signed);
    expect(toHex(labelled(LABEL.GROUP_CARD, signed.body))).toBe(c.signedBytesHex);
    // The same salt as the groupCard vector, so the same digest key; recomputed with raw libsodium.
    expect(toBase64Url(sodium().crypto_generichash(32, labelled(LABEL.RULES_DIGEST, signed.body), fromHex(v.groupCard.digestKeyHex)))).toBe(c.rulesDigest);
    expect(rulesDigest(signed.body)).toBe(c.rulesDigest);
    expect(verifyGroupCard(c.signed, { creatorFingerprint: fingerprint(mid(v.groupCard.signer)) }).body.nextSession).toEqual(c.body.nextSession);
  });
});
