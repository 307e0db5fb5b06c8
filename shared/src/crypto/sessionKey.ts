/**
 * Session keys (SECURITY.md §4): on entering a session each member makes an X25519 key pair (`crypto_box_seed_keypair`)
 * and publishes its public half signed by its identity key (Ed25519 under LABEL.SESSION_KEY, which binds the key to
 * one group, one session and one member). Sender keys and direct messages travel in crypto_box between session
 * keys. The secret half is erased at the session's end (wipeSessionKey): that is what keeps a past session
 * unreadable after a device is seized.
 */
import { KindredError } from '../errors';
import { toBase64Url, fromBase64Url } from '../encoding';
import { OBJECT_FORMAT_VERSION, SignedSessionKey, type SessionKeyBody } from '../protocol/objects';
import { LABEL } from './labels';
import { parseWire } from './parseWire';
import { memberKey, requireSignature, signObject } from './signedObject';
import { csprngBytes } from './csprng';
import { expectBytes, sodium, wipe } from './sodium';
import type { IdentityKeyPair, SessionKeyPair } from './types';

export interface CreatedSessionKey {
  keyPair: SessionKeyPair;
  signed: SignedSessionKey;
}

/**
 * A fresh session key pair, signed by `ik`, of generation `opts.generation` (default 0): a member that makes another
 * key for the same session (a re-entry after the session was wiped here, a restart) gives it a higher generation, and
 * receivers refuse an older one (installRecord.ts). `opts.seed` (`crypto_box_seed_keypair`, not wiped here) is for
 * test vectors and for a tab that takes back its own session key after a reload (the web client keeps the seed in
 * the tab's sessionStorage for the session's length); the same seed and generation give the same key and signature.
 */
export function createSessionKey(ik: IdentityKeyPair, groupId: string, sessionId: string, opts?: { seed?: Uint8Array; generation?: number }): CreatedSessionKey {
  expectBytes(ik.publicKey, 32, 'identity public key');
  expectBytes(ik.secretKey, 64, 'identity secret key');
  const s = sodium();
  // crypto_box_seed_keypair over a fresh CSPRNG seed: the same key pair crypto_box_keypair makes, without libsodium.js's
  // 4-bytes-per-callback randomness (csprng.ts).
  const seed = opts?.seed ? expectBytes(opts.seed, 32, 'session key seed') : csprngBytes(32);
  const kp = s.crypto_box_seed_keypair(seed);
  if (!opts?.seed) wipe(seed);
  const body: SessionKeyBody = {
    v: OBJECT_FORMAT_VERSION,
    groupId,
    sessionId,
    member: toBase64Url(ik.publicKey),
    sessionPk: toBase64Url(kp.publicKey),
    gen: opts?.generation ?? 0,
  };
  const signed = parseWire(SignedSessionKey, { body, sig: signObject(LABEL.SESSION_KEY, body, ik.secretKey) }, 'session key');
  return { keyPair: { publicKey: kp.publicKey, secretKey: kp.privateKey }, signed };
}

/**
 * The session public key of a signed session key, after checking it: MALFORMED/BAD_VERSION for a bad shape,
 * WRONG_SESSION when it names another group or session, SESSION_KEY_UNSIGNED when it names another member than
 * `expected.member` or its signature by the named member's identity key does not verify.
 */
export function verifySessionKey(signed: unknown, expected: { groupId: string; sessionId: string; member?: string }): Uint8Array {
  const sk = parseWire(SignedSessionKey, signed, 'session key');
  if (sk.body.groupId !== expected.groupId || sk.body.sessionId !== expected.sessionId) {
    throw new KindredError('WRONG_SESSION', 'session key');
  }
  if (expected.member !== undefined && sk.body.member !== expected.member) {
    throw new KindredError('SESSION_KEY_UNSIGNED', 'session key names another member');
  }
  requireSignature(LABEL.SESSION_KEY, sk.body, sk.sig, memberKey(sk.body.member), 'SESSION_KEY_UNSIGNED');
  return fromBase64Url(sk.body.sessionPk);
}

/** Erases a session secret key (`sodium_memzero`) at the session's end. */
export function wipeSessionKey(keyPair: SessionKeyPair): void {
  wipe(keyPair.secretKey);
}
