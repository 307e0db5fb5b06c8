/**
 * Sender-key distribution (SECURITY.md §4-§6): a chain's current state travels to each recipient in a crypto_box
 * (X25519 + XSalsa20-Poly1305) from the sender's session key to the recipient's session key. crypto_box
 * authenticates both ends with keys only the two of them hold, and either of them could have made the box, which is
 * what makes it deniable. Never crypto_box_seal: it does not authenticate the sender.
 *
 * Box plaintext (docs/PROTOCOL.md part B, "Sealed sender key"):
 *
 *   utf8(LABEL.SENDER_KEY_DISTRIBUTION) || 0x00 || chainKey (32 bytes) || canonical(inner)
 *   inner = {v, groupId, sessionId, epoch, rosterHash, headEpoch, headHash, keyId, sender, recipient, counter, signingPk}
 *
 * (headEpoch, headHash) is the sender's current roster head when it sealed the key (protocol v2), at or after the
 * chain's epoch: a recipient behind it knows a newer roster exists before any message arrives.
 *
 * The chain key is raw bytes at a fixed offset rather than a JSON string so that it lives only in Uint8Arrays, which
 * are wiped; JS strings cannot be. The label keeps a sender-key box from ever being taken for a direct message.
 * What is sent is the chain key *at the chain's current counter*, never the initial one: a newcomer cannot derive
 * the message keys of anything sent before it received the key.
 */
import { z } from 'zod';
import { KindredError } from '../errors';
import { concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../encoding';
import { Hash32, MemberId, OpaqueId } from '../protocol/primitives';
import { PROTOCOL_VERSION, SealedSenderKey } from '../protocol/objects';
import { canonicalBytes } from './canonical';
import { LABEL } from './labels';
import { boxTo, openFrom, pairwiseFor, type PairwiseKeys } from './pairwiseBox';
import { parseWire } from './parseWire';
import { memberKey } from './signedObject';
import { MAX_COUNTER, type OwnSenderChain } from './senderKeyChain';
import { csprngBytes } from './csprng';
import { expectBytes, wipe } from './sodium';
import type { SessionKeyPair } from './types';

const PREFIX = concatBytes(utf8(LABEL.SENDER_KEY_DISTRIBUTION), new Uint8Array([0]));

const Inner = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  groupId: OpaqueId,
  sessionId: OpaqueId,
  epoch: z.number().int().min(0).max(1_000_000),
  rosterHash: Hash32,
  headEpoch: z.number().int().min(0).max(1_000_000),
  headHash: Hash32,
  keyId: OpaqueId,
  sender: MemberId,
  recipient: MemberId,
  counter: z.number().int().min(0).max(MAX_COUNTER),
  signingPk: MemberId,
});

/** A recipient: its member id and its verified session public key (from verifySessionKey). */
export interface SenderKeyRecipient {
  member: string;
  sessionPk: Uint8Array;
  /** That key's generation (its signed `gen`): stated as `toGen` on the sealed key, so a stale box is told apart. */
  gen?: number;
}

/** A sender key as received, after every check of openSenderKey. */
export interface ReceivedSenderKey {
  groupId: string;
  sessionId: string;
  epoch: number;
  rosterHash: string;
  /** The sender's roster head when it sealed the key (authenticated by the box; at or after `epoch`). */
  head: { epoch: number; hash: string };
  sender: string;
  recipient: string;
  keyId: string;
  /** Chain key for `counter`: the first message this recipient can read. */
  chainKey: Uint8Array;
  counter: number;
  /** The chain's ephemeral Ed25519 public key, which signs every message of the chain. */
  signingPk: Uint8Array;
}

/**
 * Boxes the chain's current key and counter to one recipient. `me` is the sender's session key pair, or its
 * PairwiseKeys cache (same bytes, faster when boxing to a whole group). `fixed.nonce` is for test vectors only.
 */
export function sealSenderKey(
  chain: OwnSenderChain,
  recipient: SenderKeyRecipient,
  me: SessionKeyPair | PairwiseKeys,
  fixed?: { nonce: Uint8Array },
): SealedSenderKey {
  if (chain.wiped) throw new KindredError('BAD_REQUEST', 'sender chain was wiped');
  expectBytes(recipient.sessionPk, 32, 'recipient session key');
  memberKey(recipient.member); // BAD_LENGTH / MALFORMED unless a 32-byte member id
  const inner = canonicalBytes({
    v: PROTOCOL_VERSION,
    groupId: chain.groupId,
    sessionId: chain.sessionId,
    epoch: chain.epoch,
    rosterHash: chain.rosterHash,
    headEpoch: chain.head.epoch,
    headHash: chain.head.hash,
    keyId: chain.keyId,
    sender: chain.sender,
    recipient: recipient.member,
    counter: chain.counter,
    signingPk: toBase64Url(chain.signingKeyPair.publicKey),
  });
  const plaintext = concatBytes(PREFIX, chain.chainKey, inner);
  const nonce = fixed ? expectBytes(fixed.nonce, 24, 'nonce') : csprngBytes(24);
  const { pw, done } = pairwiseFor(me);
  try {
    const box = boxTo(pw, recipient.sessionPk, plaintext, nonce);
    // Every field is already checked (the chain's context at createOwnSenderChain, the recipient id above), so the
    // object is built, not re-parsed: a rekey seals to every member at once and this is its per-recipient cost.
    return {
      v: PROTOCOL_VERSION,
      groupId: chain.groupId,
      sessionId: chain.sessionId,
      from: chain.sender,
      to: recipient.member,
      keyId: chain.keyId,
      ...(recipient.gen !== undefined ? { toGen: recipient.gen } : {}),
      nonce: toBase64Url(nonce),
      box: toBase64Url(box),
    };
  } finally {
    wipe(plaintext);
    done();
  }
}

/**
 * Opens a sealed sender key addressed to `me`. `senderSessionPk` is the sender's session key, verified by the
 * caller with verifySessionKey for `sealed.from`. Refuses with WRONG_KEY when it is addressed to someone else,
 * DECRYPT_FAILED when the box does not authenticate (not from that sender's session key, or altered), MALFORMED when
 * the plaintext is ill-formed or any inner field differs from the outer routing fields.
 */
export function openSenderKey(
  sealed: unknown,
  senderSessionPk: Uint8Array,
  myKeyPair: SessionKeyPair | PairwiseKeys,
  me: string,
): ReceivedSenderKey {
  const s = parseWire(SealedSenderKey, sealed, 'sealed sender key');
  if (s.to !== me) throw new KindredError('WRONG_KEY', 'sealed sender key is for another member');
  expectBytes(senderSessionPk, 32, 'sender session key');
  const { pw, done } = pairwiseFor(myKeyPair);
  let plaintext: Uint8Array;
  try {
    plaintext = openFrom(pw, senderSessionPk, fromBase64Url(s.box), fromBase64Url(s.nonce));
  } finally {
    done();
  }
  try {
    const min = PREFIX.length + 32;
    if (plaintext.length <= min || !PREFIX.every((b, i) => plaintext[i] === b)) {
      throw new KindredError('MALFORMED', 'sender key: not a sender-key box');
    }
    let innerValue: unknown;
    try {
      innerValue = JSON.parse(fromUtf8(plaintext.subarray(min)));
    } catch (cause) {
      throw new KindredError('MALFORMED', 'sender key: inner JSON', { cause });
    }
    const inner = parseWire(Inner, innerValue, 'sender key inner');
    if (
      inner.groupId !== s.groupId ||
      inner.sessionId !== s.sessionId ||
      inner.keyId !== s.keyId ||
      inner.sender !== s.from ||
      inner.recipient !== s.to
    ) {
      throw new KindredError('MALFORMED', 'sender key: inner fields differ from routing fields');
    }
    if (inner.headEpoch < inner.epoch || (inner.headEpoch === inner.epoch && inner.headHash !== inner.rosterHash)) {
      throw new KindredError('MALFORMED', 'sender key: stated head before the chain');
    }
    return {
      groupId: inner.groupId,
      sessionId: inner.sessionId,
      epoch: inner.epoch,
      rosterHash: inner.rosterHash,
      head: { epoch: inner.headEpoch, hash: inner.headHash },
      sender: inner.sender,
      recipient: inner.recipient,
      keyId: inner.keyId,
      chainKey: plaintext.slice(PREFIX.length, min),
      counter: inner.counter,
      signingPk: fromBase64Url(inner.signingPk),
    };
  } finally {
    wipe(plaintext);
  }
}
