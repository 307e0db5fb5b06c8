/**
 * Knock proofs: a knocker proves to the facilitators, not to the relay, that it holds an invite of the group. It
 * signs its knock (group, session, its identity, its session key, the invite id and a hash of its signed
 * acceptance) with the invite's signing key (invite.ts, derived from the invite secret). Facilitators check the
 * signature with the invite's public key from their own verified roster (the `invite` entry a facilitator signed),
 * so the relay, which never sees the secret, cannot make a knock of its own pass, nor move a real proof to another
 * member, session, session key or acceptance. Exact format: docs/PROTOCOL.md part A, "Knock proof".
 */
import { KindredError } from '../errors';
import { PROTOCOL_VERSION, SignedAcceptance, SignedKnockProof, SignedSessionKey, type KnockProofBody } from '../protocol/objects';
import { LABEL } from './labels';
import { parseWire } from './parseWire';
import { hashObject, memberKey, signObject, verifyObject } from './signedObject';
import { expectBytes } from './sodium';
import type { IdentityKeyPair, RosterInvite, RosterState } from './types';

/** BLAKE2b-256 of `LABEL.ACCEPTANCE_HASH || 0x00 || canonical({body, sig})`: a knock proof binds this exact acceptance. */
export function acceptanceHash(acceptance: SignedAcceptance): string {
  return hashObject(LABEL.ACCEPTANCE_HASH, { body: acceptance.body, sig: acceptance.sig });
}

/** BLAKE2b-256 of `LABEL.KNOCK_PROOF_HASH || 0x00 || canonical({body, sig})`: an introduction names its knock by this. */
export function knockProofHash(proof: SignedKnockProof): string {
  return hashObject(LABEL.KNOCK_PROOF_HASH, { body: proof.body, sig: proof.sig });
}

/** What a knock carries, as the facilitator receives it (the relay's Knock push). */
export interface KnockToProve {
  groupId: string;
  sessionId: string;
  member: string;
  acceptance: SignedAcceptance;
  sessionKey: SignedSessionKey;
}

/**
 * The knocker's proof, signed with the invite's key pair (`inviteSigningKeyPair(secret)`). MALFORMED when the
 * knock's own objects are not well formed.
 */
export function signKnockProof(inviteKey: IdentityKeyPair, inviteId: string, knock: KnockToProve): SignedKnockProof {
  expectBytes(inviteKey.secretKey, 64, 'invite signing key');
  const acceptance = parseWire(SignedAcceptance, knock.acceptance, 'acceptance');
  const sessionKey = parseWire(SignedSessionKey, knock.sessionKey, 'session key');
  const body: KnockProofBody = {
    v: PROTOCOL_VERSION,
    groupId: knock.groupId,
    sessionId: knock.sessionId,
    member: knock.member,
    sessionPk: sessionKey.body.sessionPk,
    inviteId,
    acceptance: acceptanceHash(acceptance),
  };
  return parseWire(SignedKnockProof, { body, sig: signObject(LABEL.KNOCK_PROOF, body, inviteKey.secretKey) }, 'knock proof');
}

/**
 * Checks a knock's proof against the verified roster; returns the invite it came through. In order:
 * KNOCK_UNPROVEN when there is none; BAD_VERSION / MALFORMED for its shape; WRONG_SESSION when the knock, the proof
 * or the roster name different groups or sessions; KNOCK_UNPROVEN when the proof names another member, session key
 * or acceptance than the knock carries (a real proof moved to another knock); INVITE_UNKNOWN when the roster lists
 * no such invite; BAD_SIGNATURE when the invite's key did not sign it; INVITE_REVOKED when it did, but a
 * facilitator has revoked that invite. The knock's acceptance and session key are checked by their own functions.
 */
export function verifyKnockProof(proof: unknown, knock: KnockToProve, roster: RosterState): RosterInvite {
  if (proof === undefined || proof === null) throw new KindredError('KNOCK_UNPROVEN', 'no invite proof');
  const p = parseWire(SignedKnockProof, proof, 'knock proof');
  const acceptance = parseWire(SignedAcceptance, knock.acceptance, 'acceptance');
  const sessionKey = parseWire(SignedSessionKey, knock.sessionKey, 'session key');
  const { body } = p;
  if (body.groupId !== knock.groupId || body.sessionId !== knock.sessionId || knock.groupId !== roster.groupId) {
    throw new KindredError('WRONG_SESSION', 'knock proof');
  }
  if (body.member !== knock.member) throw new KindredError('KNOCK_UNPROVEN', 'proof for another member');
  if (body.sessionPk !== sessionKey.body.sessionPk || sessionKey.body.member !== knock.member) {
    throw new KindredError('KNOCK_UNPROVEN', 'proof for another session key');
  }
  if (body.acceptance !== acceptanceHash(acceptance)) throw new KindredError('KNOCK_UNPROVEN', 'proof for another acceptance');
  const live = roster.invites.find((i) => i.id === body.inviteId);
  const revoked = live ? undefined : roster.revokedInvites.find((i) => i.id === body.inviteId);
  const invite = live ?? revoked;
  if (!invite) throw new KindredError('INVITE_UNKNOWN', 'knock proof');
  // memberKey decodes any 32-byte Ed25519 public key (an invite key here), refusing other lengths.
  if (!verifyObject(LABEL.KNOCK_PROOF, body, p.sig, memberKey(invite.pk))) throw new KindredError('BAD_SIGNATURE', 'knock proof');
  if (revoked) throw new KindredError('INVITE_REVOKED', 'knock proof');
  return { id: invite.id, pk: invite.pk };
}
