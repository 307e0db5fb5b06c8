/**
 * The group card (name, ground rules, code of conduct, limits of confidentiality, crisis resources, expiry):
 * signed by a facilitator (Ed25519, LABEL.GROUP_CARD), then encrypted for the relay to store
 * (XChaCha20-Poly1305 under a key derived from an invite secret). Only holders of an invite link can read it;
 * only a facilitator can write it.
 */
import { KindredError, isKindredError } from '../errors';
import { fromBase64Url, fromUtf8, toBase64Url } from '../encoding';
import { EncryptedGroupCard, GroupCardBody, OBJECT_FORMAT_VERSION, SignedGroupCard } from '../protocol/objects';
import { canonicalBytes, labelled } from './canonical';
import { memberIdOf, requireFingerprint } from './identity';
import { INVITE_SECRET_BYTES, INVITE_SUBKEY_ID } from './invite';
import { KDF_CONTEXT, LABEL } from './labels';
import { CARD_BUCKETS, maxPlaintext, padToBucket, unpadFromBucket } from './padding';
import { isFacilitator } from './roster';
import { memberKey, signObject, verifyObject } from './signedObject';
import { expectBytes, randomBytes, sodium, wipe } from './sodium';
import type { IdentityKeyPair, RosterState } from './types';

/** Largest card plaintext (canonical JSON of the signed card): the largest card bucket less its padding marker. */
export const MAX_GROUP_CARD_PLAINTEXT = maxPlaintext(CARD_BUCKETS);

/** Bytes of a card's salt, from which the key of its rules digest is derived. */
export const CARD_SALT_BYTES = 32;
/** crypto_kdf subkey id of the rules-digest key under a card's salt. */
const RULES_DIGEST_SUBKEY_ID = 1;

/**
 * Signs a card body with `ik`. The signer field is set from the key (a body naming someone else is MALFORMED); a
 * body without a salt gets 32 fresh random bytes (a new card; an edit keeps its card's salt, so every revision's
 * digest is keyed the same way); the body is validated against GroupCardBody (MALFORMED).
 */
export function signGroupCard(body: Omit<GroupCardBody, 'signer' | 'salt'> & { signer?: string; salt?: string }, ik: IdentityKeyPair): SignedGroupCard {
  const signer = memberIdOf(ik.publicKey);
  if (body.signer !== undefined && body.signer !== signer) throw new KindredError('MALFORMED', 'card signer is not the signing key');
  const salt = body.salt ?? toBase64Url(randomBytes(CARD_SALT_BYTES));
  const parsed = GroupCardBody.safeParse({ ...body, signer, salt });
  if (!parsed.success) throw new KindredError('MALFORMED', 'group card body', { cause: parsed.error });
  return { body: parsed.data, sig: signObject(LABEL.GROUP_CARD, parsed.data, ik.secretKey) };
}

/** Whom a card must come from: a facilitator of the verified roster, or (before one is known) the invite's creator. */
export type CardTrust = RosterState | { creatorFingerprint: string };

/**
 * Verifies a signed card: shape (MALFORMED), signature by `body.signer` (BAD_SIGNATURE), and the signer's
 * authority: with a roster, the card's group must be the roster's (WRONG_SESSION) and the signer one of its
 * facilitators (NOT_FACILITATOR); with only the invite's creator fingerprint, the signer must be the creator
 * (FINGERPRINT_MISMATCH). Returns the parsed card. There is deliberately no "signature only" mode: any key can
 * sign a card, so a signature alone says nothing.
 */
export function verifyGroupCard(signed: unknown, trust: CardTrust): SignedGroupCard {
  const parsed = SignedGroupCard.safeParse(signed);
  if (!parsed.success) throw new KindredError('MALFORMED', 'group card', { cause: parsed.error });
  const card = parsed.data;
  if (!verifyObject(LABEL.GROUP_CARD, card.body, card.sig, memberKey(card.body.signer))) throw new KindredError('BAD_SIGNATURE', 'group card');
  if ('creatorFingerprint' in trust) {
    requireFingerprint(card.body.signer, trust.creatorFingerprint);
  } else {
    if (card.body.groupId !== trust.groupId) throw new KindredError('WRONG_SESSION', 'group card of another group');
    if (!isFacilitator(trust, card.body.signer)) throw new KindredError('NOT_FACILITATOR', 'group card signer');
  }
  return card;
}

/**
 * The digest members accept before each session: BLAKE2b-256 keyed with `crypto_kdf_derive_from_key(32, 1,
 * "KdRulDig", salt)` over `LABEL.RULES_DIGEST || 0x00 || canonical(body)`, the whole body (salt included), so it
 * names one exact revision by one signer of one group. The relay sees digests in acceptances but never the salt
 * (it is inside the encrypted card): it can tell two digests equal, and cannot test a guessed card (a template
 * and a list of names) against one. MALFORMED for a body that is not a valid card body (a card of an older
 * version, without a salt, included).
 */
export function rulesDigest(body: GroupCardBody): string {
  const parsed = GroupCardBody.safeParse(body);
  if (!parsed.success) throw new KindredError('MALFORMED', 'group card body', { cause: parsed.error });
  const salt = fromBase64Url(parsed.data.salt);
  const key = sodium().crypto_kdf_derive_from_key(32, RULES_DIGEST_SUBKEY_ID, KDF_CONTEXT.RULES_DIGEST_KEY, salt);
  try {
    return toBase64Url(sodium().crypto_generichash(32, labelled(LABEL.RULES_DIGEST, parsed.data), key));
  } finally {
    wipe(key, salt);
  }
}

function cardKey(inviteSecret: Uint8Array): Uint8Array {
  expectBytes(inviteSecret, INVITE_SECRET_BYTES, 'invite secret');
  return sodium().crypto_kdf_derive_from_key(32, INVITE_SUBKEY_ID.CARD_KEY, KDF_CONTEXT.CARD_KEY, inviteSecret);
}

/** AD binds the version and the group, so the relay cannot serve one group's card under another group's invite. */
function cardAd(groupId: string): Uint8Array {
  return labelled(LABEL.GROUP_CARD_AD, { v: OBJECT_FORMAT_VERSION, groupId });
}

/**
 * Encrypts a signed card under an invite secret: key = `crypto_kdf_derive_from_key(32, 1, "KdCardKy", secret)`,
 * XChaCha20-Poly1305 with a random 24-byte nonce (random nonces are safe at 192 bits), plaintext =
 * pad(canonical(signed card)) to a CARD_BUCKETS size, so the relay that stores it learns the bucket, not the
 * card's length. `testNonce` is for vectors only. PAYLOAD_TOO_LARGE if the card exceeds the bound.
 */
export function encryptGroupCard(signed: SignedGroupCard, inviteSecret: Uint8Array, testNonce?: Uint8Array): EncryptedGroupCard {
  const card = SignedGroupCard.safeParse(signed);
  if (!card.success) throw new KindredError('MALFORMED', 'group card', { cause: card.error });
  const canonical = canonicalBytes(card.data);
  if (canonical.length > MAX_GROUP_CARD_PLAINTEXT) throw new KindredError('PAYLOAD_TOO_LARGE', 'group card');
  const plaintext = padToBucket(canonical, CARD_BUCKETS);
  const nonce = testNonce ? expectBytes(testNonce, 24, 'nonce') : randomBytes(24);
  const key = cardKey(inviteSecret);
  try {
    const ct = sodium().crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, cardAd(card.data.body.groupId), null, nonce, key);
    return { v: OBJECT_FORMAT_VERSION, nonce: toBase64Url(nonce), ct: toBase64Url(ct) };
  } finally {
    wipe(key, plaintext);
  }
}

/**
 * Decrypts a stored card for `expectedGroupId` (the group named in the invite link): MALFORMED for a bad
 * envelope, DECRYPT_FAILED when the tag fails (tampering, wrong secret, wrong group), MALFORMED when the padding is
 * not a card bucket's or the plaintext is not a valid signed card of that group. The result still has to pass
 * verifyGroupCard.
 */
export function decryptGroupCard(enc: unknown, inviteSecret: Uint8Array, expectedGroupId: string): SignedGroupCard {
  const parsed = EncryptedGroupCard.safeParse(enc);
  if (!parsed.success) throw new KindredError('MALFORMED', 'encrypted group card', { cause: parsed.error });
  const key = cardKey(inviteSecret);
  let plaintext: Uint8Array;
  try {
    plaintext = sodium().crypto_aead_xchacha20poly1305_ietf_decrypt(null, fromBase64Url(parsed.data.ct), cardAd(expectedGroupId), fromBase64Url(parsed.data.nonce), key);
  } catch (cause) {
    throw new KindredError('DECRYPT_FAILED', 'group card', { cause });
  } finally {
    wipe(key);
  }
  let json: unknown;
  try {
    json = JSON.parse(fromUtf8(unpadFromBucket(plaintext, CARD_BUCKETS)));
  } catch (cause) {
    throw isKindredError(cause) ? cause : new KindredError('MALFORMED', 'group card plaintext', { cause });
  } finally {
    wipe(plaintext);
  }
  const card = SignedGroupCard.safeParse(json);
  if (!card.success) {
    // A card stored by a build before the keyed rules digest has no salt: say so rather than "malformed".
    const body = (json as { body?: unknown } | null)?.body;
    if (typeof body === 'object' && body !== null && !('salt' in body)) throw new KindredError('BAD_VERSION', 'group card of an older version: publish the invite again');
    throw new KindredError('MALFORMED', 'group card plaintext', { cause: card.error });
  }
  if (card.data.body.groupId !== expectedGroupId) throw new KindredError('MALFORMED', 'group card of another group');
  return card.data;
}
