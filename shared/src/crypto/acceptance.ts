/**
 * Rules acceptance: before each session a member signs (Ed25519, LABEL.RULES_ACCEPTANCE) the digest of the exact
 * card revision they were shown, for that group and that session. Binding the session id makes an acceptance
 * worthless for any later session (the product asks for acceptance before each session, not once).
 */
import { KindredError } from '../errors';
import { AcceptanceBody, OBJECT_FORMAT_VERSION, SignedAcceptance } from '../protocol/objects';
import { memberIdOf } from './identity';
import { LABEL } from './labels';
import { memberKey, signObject, verifyObject } from './signedObject';
import type { IdentityKeyPair } from './types';

export interface AcceptanceInput {
  groupId: string;
  sessionId: string;
  /** rulesDigest(card.body) of the card the member was shown. */
  rulesDigest: string;
  /** True when the member also signs the confidentiality agreement. */
  agreement: boolean;
}

export function signAcceptance(ik: IdentityKeyPair, input: AcceptanceInput): SignedAcceptance {
  const parsed = AcceptanceBody.safeParse({ v: OBJECT_FORMAT_VERSION, ...input, member: memberIdOf(ik.publicKey) });
  if (!parsed.success) throw new KindredError('MALFORMED', 'acceptance', { cause: parsed.error });
  return { body: parsed.data, sig: signObject(LABEL.RULES_ACCEPTANCE, parsed.data, ik.secretKey) };
}

export interface ExpectedAcceptance {
  groupId: string;
  sessionId: string;
  /** Digest of the current card. */
  rulesDigest: string;
  /** The authenticated member the acceptance must come from, when known. */
  member?: string;
  /** The card's requireSignedAgreement: then `agreement` must be true. */
  requireAgreement?: boolean;
}

/**
 * Verifies an acceptance against what is expected now: shape (MALFORMED), group and session (WRONG_SESSION),
 * member (FORBIDDEN), signature (BAD_SIGNATURE), then rules digest and agreement (RULES_NOT_ACCEPTED: the member
 * accepted another revision of the rules, or did not sign the agreement the group asks for).
 */
export function verifyAcceptance(signed: unknown, expected: ExpectedAcceptance): SignedAcceptance {
  const parsed = SignedAcceptance.safeParse(signed);
  if (!parsed.success) throw new KindredError('MALFORMED', 'acceptance', { cause: parsed.error });
  const { body, sig } = parsed.data;
  if (body.groupId !== expected.groupId || body.sessionId !== expected.sessionId) throw new KindredError('WRONG_SESSION', 'acceptance');
  if (expected.member !== undefined && body.member !== expected.member) throw new KindredError('FORBIDDEN', 'acceptance by another member');
  if (!verifyObject(LABEL.RULES_ACCEPTANCE, body, sig, memberKey(body.member))) throw new KindredError('BAD_SIGNATURE', 'acceptance');
  if (body.rulesDigest !== expected.rulesDigest) throw new KindredError('RULES_NOT_ACCEPTED', 'another revision of the rules');
  if (expected.requireAgreement && !body.agreement) throw new KindredError('RULES_NOT_ACCEPTED', 'agreement not signed');
  return parsed.data;
}
