/**
 * Invites. An invite secret (32 random bytes) lives only in the URL fragment, which browsers never send to a
 * server. Three keys are derived from it with `crypto_kdf_derive_from_key`, each under its own 8-byte context and
 * subkey id so that none can stand in for another: the group-card key (id 1, KDF_CONTEXT.CARD_KEY, groupCard.ts),
 * the gate token (id 2, KDF_CONTEXT.INVITE_GATE) a knocking client presents to the relay, and the seed of the
 * invite's Ed25519 signing key (id 3, KDF_CONTEXT.INVITE_SIGNING), whose public half is recorded in the signed
 * roster and with which a knocker proves to the facilitators that it holds the invite (knockProof.ts). The relay
 * stores only the token's hash, so its database cannot be used to knock, and never sees the secret, so it can
 * neither read the card nor sign a knock.
 */
import { KindredError } from '../errors';
import { fromBase64Url, toBase64Url } from '../encoding';
import { OpaqueId } from '../protocol/primitives';
import { RosterHead } from '../protocol/vault';
import { labelled } from './canonical';
import { FINGERPRINT_BYTES } from './identity';
import { KDF_CONTEXT, LABEL } from './labels';
import { bytesEqual, expectBytes, randomBytes, sodium, wipe } from './sodium';
import type { IdentityKeyPair } from './types';

export const INVITE_SECRET_BYTES = 32;
/** crypto_kdf subkey ids under an invite secret (the contexts differ too; distinct ids make it doubly clear). */
export const INVITE_SUBKEY_ID = { CARD_KEY: 1, GATE_TOKEN: 2, SIGNING_SEED: 3 } as const;

export function createInviteSecret(): Uint8Array {
  return randomBytes(INVITE_SECRET_BYTES);
}

/** The gate token: 32-byte `crypto_kdf_derive_from_key(32, 2, "KdInvGat", secret)`, base64url. */
export function inviteGateToken(secret: Uint8Array): string {
  expectBytes(secret, INVITE_SECRET_BYTES, 'invite secret');
  return toBase64Url(sodium().crypto_kdf_derive_from_key(32, INVITE_SUBKEY_ID.GATE_TOKEN, KDF_CONTEXT.INVITE_GATE, secret));
}

/**
 * The invite's signing key pair: `crypto_sign_seed_keypair(crypto_kdf_derive_from_key(32, 3, "KdInvSig", secret))`.
 * Whoever holds the link can sign knocks with it; the relay, which sees only the gate token, cannot.
 */
export function inviteSigningKeyPair(secret: Uint8Array): IdentityKeyPair {
  expectBytes(secret, INVITE_SECRET_BYTES, 'invite secret');
  const seed = sodium().crypto_kdf_derive_from_key(32, INVITE_SUBKEY_ID.SIGNING_SEED, KDF_CONTEXT.INVITE_SIGNING, secret);
  try {
    const kp = sodium().crypto_sign_seed_keypair(seed);
    return { publicKey: kp.publicKey, secretKey: kp.privateKey };
  } finally {
    wipe(seed);
  }
}

/** The invite's public signing key, base64url: what the `invite` roster entry records. */
export function invitePublicKey(secret: Uint8Array): string {
  const kp = inviteSigningKeyPair(secret);
  wipe(kp.secretKey);
  return toBase64Url(kp.publicKey);
}

function gateHashBytes(token: string): Uint8Array {
  if (typeof token !== 'string' || fromBase64Url(token).length !== 32) throw new KindredError('BAD_LENGTH', 'gate token');
  return sodium().crypto_generichash(32, labelled(LABEL.INVITE_GATE_HASH, { token }), null);
}

/**
 * What the relay stores for an invite: BLAKE2b-256 of `LABEL.INVITE_GATE_HASH || 0x00 || canonical({"token": t})`,
 * base64url. The token is a uniformly random 256-bit KDF output, so a plain hash (no salt, no Argon2) already
 * makes it infeasible to recover from a leaked database.
 */
export function inviteGateHash(token: string): string {
  return toBase64Url(gateHashBytes(token));
}

/** The relay's check of a presented token against the stored hash, in constant time (`sodium_memcmp`). Never throws. */
export function checkInviteGate(token: string, storedHash: string): boolean {
  try {
    return bytesEqual(gateHashBytes(token), fromBase64Url(storedHash));
  } catch {
    return false;
  }
}

export interface InviteLink {
  groupId: string;
  inviteId: string;
  secret: Uint8Array;
  creatorFingerprint: string;
  /** The roster head when the invite was made: whoever opens the link refuses any roster older than it. */
  head: RosterHead;
}

const FRAGMENT_VERSION = 'k2';
/** The earlier form (no roster head), refused with BAD_VERSION: a link without a head cannot catch a rollback. */
const OLD_FRAGMENT_VERSIONS: ReadonlySet<string> = new Set(['k1']);
const MAX_HEAD_EPOCH = 2 ** 31 - 1;

/**
 * The URL fragment (without '#'): `k2.<groupId>.<inviteId>.<secret>.<creatorFingerprint>.<epoch>.<headHash>`, each
 * part base64url (22, 22, 43, 22 and 43 characters; '.' never occurs in base64url) but the epoch, in decimal without
 * leading zeros (0 to 2^31 - 1). 161 to 170 characters in all.
 */
export function formatInviteFragment(link: InviteLink): string {
  if (!OpaqueId.safeParse(link.groupId).success || !OpaqueId.safeParse(link.inviteId).success) throw new KindredError('MALFORMED', 'invite ids');
  expectBytes(link.secret, INVITE_SECRET_BYTES, 'invite secret');
  if (typeof link.creatorFingerprint !== 'string' || fromBase64Url(link.creatorFingerprint).length !== FINGERPRINT_BYTES) {
    throw new KindredError('MALFORMED', 'creator fingerprint');
  }
  if (!RosterHead.safeParse(link.head).success) throw new KindredError('MALFORMED', 'invite roster head');
  return [FRAGMENT_VERSION, link.groupId, link.inviteId, toBase64Url(link.secret), link.creatorFingerprint, String(link.head.epoch), link.head.hash].join('.');
}

/**
 * Parses a fragment (a leading '#' is allowed, as `location.hash` has it). Strict: exactly seven parts, version
 * `k2`, canonical base64url of exactly the right lengths, a canonical decimal epoch; a `k1` link (made before links
 * carried the roster head) is BAD_VERSION; anything else is MALFORMED.
 */
export function parseInviteFragment(fragment: string): InviteLink {
  if (typeof fragment !== 'string' || fragment.length > 200) throw new KindredError('MALFORMED', 'invite fragment');
  const parts = (fragment.startsWith('#') ? fragment.slice(1) : fragment).split('.');
  if (OLD_FRAGMENT_VERSIONS.has(parts[0] ?? '')) throw new KindredError('BAD_VERSION', 'invite link from an earlier version: ask for a new one');
  if (parts.length !== 7 || parts[0] !== FRAGMENT_VERSION) throw new KindredError('MALFORMED', 'invite fragment');
  const [, groupId, inviteId, secretB64, creatorFingerprint, epochText, headHash] = parts as [string, string, string, string, string, string, string];
  const exact = (text: string, n: number): Uint8Array => {
    const bytes = fromBase64Url(text); // MALFORMED on foreign characters or non-canonical encodings
    if (bytes.length !== n) throw new KindredError('MALFORMED', 'invite fragment part length');
    return bytes;
  };
  exact(groupId, 16);
  exact(inviteId, 16);
  exact(creatorFingerprint, FINGERPRINT_BYTES);
  exact(headHash, 32);
  if (!/^(0|[1-9][0-9]{0,9})$/.test(epochText) || Number(epochText) > MAX_HEAD_EPOCH) throw new KindredError('MALFORMED', 'invite head epoch');
  const secret = exact(secretB64, INVITE_SECRET_BYTES);
  return { groupId, inviteId, secret, creatorFingerprint, head: { epoch: Number(epochText), hash: headHash } };
}
