/**
 * Authentication to the relay without passwords: the relay sends 32 random bytes, the device signs
 * `{challenge, member}` with its identity key (Ed25519, LABEL.AUTH_CHALLENGE). The label keeps this signature
 * from ever being valid as any other protocol object; naming the member binds the signature to the key the
 * relay is about to trust. The relay must make each challenge single-use and short-lived (AUTH_EXPIRED).
 */
import { KindredError } from '../errors';
import { fromBase64Url, toBase64Url } from '../encoding';
import { memberIdOf } from './identity';
import { LABEL } from './labels';
import { signObject, verifyObject, memberKey } from './signedObject';
import { randomBytes } from './sodium';
import type { IdentityKeyPair } from './types';

export const AUTH_CHALLENGE_BYTES = 32;

/** A fresh challenge for the relay to send: 32 bytes from the CSPRNG, base64url (43 characters). */
export function createAuthChallenge(): string {
  return toBase64Url(randomBytes(AUTH_CHALLENGE_BYTES));
}

function checkChallenge(challengeB64: string): void {
  if (typeof challengeB64 !== 'string' || fromBase64Url(challengeB64).length !== AUTH_CHALLENGE_BYTES) {
    throw new KindredError('BAD_LENGTH', 'auth challenge: expected 32 bytes');
  }
}

/** Signs a relay challenge. Throws BAD_LENGTH (or MALFORMED) if the challenge is not 32 bytes of base64url. */
export function signAuthChallenge(ik: IdentityKeyPair, challengeB64: string): string {
  checkChallenge(challengeB64);
  return signObject(LABEL.AUTH_CHALLENGE, { challenge: challengeB64, member: memberIdOf(ik.publicKey) }, ik.secretKey);
}

/** True when `sig` is `memberId`'s signature over this challenge. Never throws: any malformed input is false. */
export function verifyAuthChallenge(memberId: string, challengeB64: string, sig: string): boolean {
  try {
    checkChallenge(challengeB64);
    return verifyObject(LABEL.AUTH_CHALLENGE, { challenge: challengeB64, member: memberId }, sig, memberKey(memberId));
  } catch {
    return false;
  }
}
