/**
 * Group messages (SECURITY.md §5): XChaCha20-Poly1305-IETF under the chain's message key for the counter, then an
 * Ed25519 signature by the chain's ephemeral signing key.
 *
 *   header = {v, groupId, sessionId, epoch, rosterHash, headEpoch, headHash, sender, keyId, counter, type, ttl}
 *   nonce  = 24 random bytes (never derived from the counter, which a rollback could repeat)
 *   AD     = utf8(LABEL.MESSAGE_AD) || 0x00 || canonical(header)      (every header field bound to the ciphertext)
 *   ct     = crypto_aead_xchacha20poly1305_ietf_encrypt(pad(plaintext), AD, nonce, messageKey)
 *   sig    = crypto_sign_detached(utf8(LABEL.MESSAGE_SIGNATURE) || 0x00 || canonical({header, nonce, ct}), signingSk)
 *
 * The AEAD alone would let any holder of the chain key (every member) forge a message "from" the sender; the
 * signature by a key only the sender holds is what authenticates the sender within the group. Two labels: the AD
 * and the signed bytes can never be confused with each other or with any other signed object.
 *
 * decryptMessage checks in this order, each with its own error code, so cheap public checks come before any
 * signature work and the signature comes before any key derivation (an unsigned message can cause no KDF work and
 * cannot touch the state): shape, group and session, sender in the current roster, not muted, sender key known,
 * epoch, signature, the sender's stated head (ahead of ours: HEAD_AHEAD; behind: the sender must be a member and
 * unmuted at every epoch from its head to ours), counter bounds, derive, decrypt, unpad; only then is the counter
 * marked used and the chain advanced. A refused message changes nothing (except erasing an expired skipped key).
 */
import { KindredError } from '../errors';
import { fromBase64Url, utf8 } from '../encoding';
import { Envelope, PROTOCOL_VERSION, type MessageHeader, type MessageType } from '../protocol/objects';
import { canonicalJson } from './canonical';
import { LABEL } from './labels';
import { padToBucket, unpadFromBucket } from './padding';
import { parseWire } from './parseWire';
import {
  MAX_FORWARD_JUMP,
  MAX_SKIPPED,
  MAX_USED_COUNTERS,
  SKIPPED_KEY_LIFETIME_MS,
  epochAccepted,
  noteRoster,
  type ReceiveState,
  type ReceivingChain,
  type SkippedKey,
} from './receiveState';
import { advanceOwnChain, stepChainKey, type OwnSenderChain } from './senderKeyChain';
import { csprngBytes } from './csprng';
import { expectBytes, sodium, wipe } from './sodium';
import type { RosterMember, RosterState } from './types';

const AD_PREFIX = `${LABEL.MESSAGE_AD}\u0000`;
const SIG_PREFIX = `${LABEL.MESSAGE_SIGNATURE}\u0000`;
const B64 = () => sodium().base64_variants.URLSAFE_NO_PADDING;

/**
 * The signed bytes. Equal to `labelled(LABEL.MESSAGE_SIGNATURE, {header, nonce, ct})` (a test checks it), built from
 * the already-encoded canonical header and the ciphertext's base64 string as it travels, so neither is re-encoded.
 * The keys are written in canonical (sorted) order: ct, header, nonce. JSON.stringify of a base64url string is the
 * string in quotes (no escapes), and canonical JSON never contains a 0x00 byte, so the label separator is unique.
 */
function signedBytes(headerJson: string, nonce: string, ct: string): Uint8Array {
  return utf8(`${SIG_PREFIX}{"ct":"${ct}","header":${headerJson},"nonce":"${nonce}"}`);
}

function adBytes(headerJson: string): Uint8Array {
  return utf8(AD_PREFIX + headerJson);
}

/** Fixed inputs, for test vectors only: live code never passes them. */
export interface FixedMessageInputs {
  nonce: Uint8Array;
}

/**
 * Encrypts and signs one message with the next counter of `chain` (which steps, wiping its old chain key).
 * PAYLOAD_TOO_LARGE beyond the largest padding bucket. The caller checks needsRekey before calling.
 */
export function encryptMessage(
  chain: OwnSenderChain,
  meta: { type: MessageType; ttl: number },
  plaintext: Uint8Array,
  fixed?: FixedMessageInputs,
): Envelope {
  const s = sodium();
  const padded = padToBucket(plaintext);
  const nonce = fixed ? expectBytes(fixed.nonce, 24, 'nonce') : csprngBytes(24);
  const { counter, messageKey } = advanceOwnChain(chain);
  const header: MessageHeader = {
    v: PROTOCOL_VERSION,
    groupId: chain.groupId,
    sessionId: chain.sessionId,
    epoch: chain.epoch,
    rosterHash: chain.rosterHash,
    headEpoch: chain.head.epoch,
    headHash: chain.head.hash,
    sender: chain.sender,
    keyId: chain.keyId,
    counter,
    type: meta.type,
    ttl: meta.ttl,
  };
  if (!Number.isSafeInteger(meta.ttl) || meta.ttl < 1 || meta.ttl > 7 * 24 * 3600) {
    wipe(messageKey, padded);
    throw new KindredError('BAD_REQUEST', 'ttl');
  }
  const headerJson = canonicalJson(header);
  try {
    const ct = s.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, adBytes(headerJson), null, nonce, messageKey);
    const ctB64 = s.to_base64(ct, B64());
    const nonceB64 = s.to_base64(nonce, B64());
    const sig = s.crypto_sign_detached(signedBytes(headerJson, nonceB64, ctB64), chain.signingKeyPair.secretKey);
    return { header, nonce: nonceB64, ct: ctB64, sig: s.to_base64(sig, B64()) };
  } finally {
    wipe(messageKey, padded);
  }
}

export interface DecryptedMessage {
  header: MessageHeader;
  plaintext: Uint8Array;
  /**
   * When this device must erase the plaintext: arrival (nowMs) plus the sender-stated ttl capped by the roster's
   * expiry policy, on the local clock.
   */
  expiresAt: number;
}

export interface DecryptOptions {
  /**
   * The hash of the roster entry at an earlier epoch, when the caller keeps the chain's history. With it, a chain
   * made at an older epoch must name the same roster as this device accepted (ROSTER_FORK otherwise); without it
   * only a chain of the current epoch is checked against the head.
   */
  rosterHashAt?: (epoch: number) => string | undefined;
  /**
   * The verified roster state right after an earlier epoch (RosterTracker.stateAt). With it, a message whose sender
   * states an older head than ours is judged at every epoch from that head to ours: the sender must be a member and
   * unmuted in each (SENDER_NOT_IN_ROSTER / SENDER_MUTED), and a head older than the states kept is HEAD_TOO_OLD.
   * Without it only the current roster is judged. The engine always passes it.
   */
  stateAt?: (epoch: number) => RosterState | undefined;
}

/** True when `member` may not send: muted, or a plain member while the roster mutes all but facilitators. */
export function isMuted(member: RosterMember, roster: RosterState): boolean {
  return member.muted || (roster.policy.muteAllButFacilitators && member.role === 'member');
}

function findMember(roster: RosterState, id: string): RosterMember | undefined {
  // members is sorted by id (RosterState): binary search keeps a 500-member roster cheap on every message.
  let lo = 0;
  let hi = roster.members.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = roster.members[mid]!;
    if (m.id === id) return m;
    if (m.id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return roster.members.find((m) => m.id === id); // tolerate an unsorted hand-built roster
}

function decodeB64(text: string, what: string): Uint8Array {
  // The house decoder (encoding.ts): strict, and faster here than sodium.from_base64's copy through the WASM heap.
  try {
    return fromBase64Url(text);
  } catch (cause) {
    throw new KindredError('MALFORMED', what, { cause });
  }
}

/**
 * Checks, decrypts and records one envelope (see the module comment for the order). `roster` is the verified
 * roster this device holds now; `nowMs` the caller's monotonic clock.
 */
export function decryptMessage(state: ReceiveState, roster: RosterState, envelope: unknown, nowMs: number, opts: DecryptOptions = {}): DecryptedMessage {
  const s = sodium();
  const env = parseWire(Envelope, envelope, 'envelope');
  const h = env.header;

  if (h.groupId !== state.groupId || h.groupId !== roster.groupId || h.sessionId !== state.sessionId) {
    throw new KindredError('WRONG_SESSION');
  }
  const member = findMember(roster, h.sender);
  if (!member) throw new KindredError('SENDER_NOT_IN_ROSTER');
  if (isMuted(member, roster)) throw new KindredError('SENDER_MUTED');
  const chain = state.getChain(h.sender, h.keyId);
  if (!chain) throw new KindredError('UNKNOWN_SENDER_KEY');

  // Epoch checks use the chain's epoch and roster hash, which came authenticated in the sealed sender key.
  if (chain.epoch > roster.epoch) throw new KindredError('EPOCH_AHEAD');
  const known = chain.epoch === roster.epoch ? roster.head : opts.rosterHashAt?.(chain.epoch);
  if (known !== undefined && known !== chain.rosterHash) throw new KindredError('ROSTER_FORK', 'sender key names another roster');
  const mark = noteRoster(state, roster, nowMs);
  if (!epochAccepted(mark, chain.epoch, nowMs)) throw new KindredError('STALE_EPOCH');

  const headerJson = canonicalJson(h);
  const sig = decodeB64(env.sig, 'signature');
  if (sig.length !== 64 || !s.crypto_sign_verify_detached(sig, signedBytes(headerJson, env.nonce, env.ct), chain.signingPk)) {
    throw new KindredError('BAD_SIGNATURE');
  }
  // Signed by the chain's own key, so a mismatch is the sender contradicting its own sealed key.
  if (h.epoch !== chain.epoch || h.rosterHash !== chain.rosterHash) {
    throw new KindredError('MALFORMED', 'header epoch differs from the sender key');
  }
  judgeStatedHead(h, roster, opts);

  const { messageKey, fromSkipped, advance } = keyForCounter(chain, h.counter, nowMs, state);
  try {
    let padded: Uint8Array;
    try {
      padded = s.crypto_aead_xchacha20poly1305_ietf_decrypt(null, decodeB64(env.ct, 'ciphertext'), adBytes(headerJson), decodeB64(env.nonce, 'nonce'), messageKey);
    } catch (cause) {
      throw new KindredError('DECRYPT_FAILED', 'message', { cause });
    }
    let plaintext: Uint8Array;
    try {
      plaintext = unpadFromBucket(padded);
    } finally {
      wipe(padded);
    }
    // Success: only now does the state change.
    if (fromSkipped) chain.skipped.delete(h.counter);
    else if (advance) commitAdvance(chain, advance, nowMs);
    markUsed(chain, h.counter);
    state.putChain(chain);
    // A sender may shorten a message's life below the group's expiry policy, never lengthen it.
    return { header: h, plaintext, expiresAt: nowMs + Math.min(h.ttl, roster.policy.expirySeconds) * 1000 };
  } catch (e) {
    if (advance) {
      wipe(advance.nextChainKey);
      for (const k of advance.skipped.values()) wipe(k.messageKey);
    }
    throw e;
  } finally {
    wipe(messageKey);
  }
}

/**
 * The sender's stated head, after its signature verified (so it is the sender's own statement). It can never be
 * before the chain it writes with. Ahead of our roster: HEAD_AHEAD (the engine keeps the message, obtains the entries
 * and tries again; it is also proof that a newer roster exists). At or behind ours: the hash must be the one we
 * accepted at that epoch (ROSTER_FORK), and the sender is judged at the stricter of its head and ours, i.e. at every
 * epoch in between: a mute or removal that came after the sender's head applies to it, and a mute in force at the
 * sender's head still applies after it was lifted here (a message written while muted is refused after the unmute).
 */
function judgeStatedHead(h: MessageHeader, roster: RosterState, opts: DecryptOptions): void {
  if (h.headEpoch < h.epoch || (h.headEpoch === h.epoch && h.headHash !== h.rosterHash)) {
    throw new KindredError('MALFORMED', 'stated head before the chain');
  }
  if (h.headEpoch > roster.epoch) throw new KindredError('HEAD_AHEAD');
  const known = h.headEpoch === roster.epoch ? roster.head : opts.rosterHashAt?.(h.headEpoch);
  if (known !== undefined && known !== h.headHash) throw new KindredError('ROSTER_FORK', 'stated head names another roster');
  if (!opts.stateAt) return;
  for (let e = h.headEpoch; e < roster.epoch; e++) {
    const then = opts.stateAt(e);
    if (!then) throw new KindredError('HEAD_TOO_OLD');
    const member = findMember(then, h.sender);
    if (!member) throw new KindredError('SENDER_NOT_IN_ROSTER', 'at the stated head');
    if (isMuted(member, then)) throw new KindredError('SENDER_MUTED', 'at the stated head');
  }
}

interface PendingAdvance {
  /** Chain key for nextCounter. */
  nextChainKey: Uint8Array;
  /** The received counter + 1. */
  nextCounter: number;
  /** Keys of the counters jumped over. */
  skipped: Map<number, SkippedKey>;
}

/** The message key for `counter`, computed without touching the chain; `advance` is what a success commits. */
function keyForCounter(
  chain: ReceivingChain,
  counter: number,
  nowMs: number,
  state: ReceiveState,
): { messageKey: Uint8Array; fromSkipped: boolean; advance: PendingAdvance | null } {
  const kept = chain.skipped.get(counter);
  if (kept) {
    if (nowMs - kept.at > SKIPPED_KEY_LIFETIME_MS) {
      // Past its lifetime: erase it now (pruning, not burning: it could no longer be used anyway).
      wipe(kept.messageKey);
      chain.skipped.delete(counter);
      state.putChain(chain);
      throw new KindredError('COUNTER_TOO_OLD', 'skipped key expired');
    }
    // A copy, so that the finally-wipe of decryptMessage leaves the kept key intact when decryption fails.
    return { messageKey: Uint8Array.from(kept.messageKey), fromSkipped: true, advance: null };
  }
  if (counter < chain.nextCounter) {
    throw new KindredError(chain.used.has(counter) ? 'REPLAY' : 'COUNTER_TOO_OLD');
  }
  if (counter - chain.nextCounter > MAX_FORWARD_JUMP) throw new KindredError('COUNTER_TOO_FAR');
  const skipped = new Map<number, SkippedKey>();
  let ck = chain.chainKey;
  for (let i = chain.nextCounter; ; i++) {
    const step = stepChainKey(ck);
    if (ck !== chain.chainKey) wipe(ck);
    ck = step.nextChainKey;
    if (i === counter) return { messageKey: step.messageKey, fromSkipped: false, advance: { nextChainKey: ck, nextCounter: counter + 1, skipped } };
    skipped.set(i, { messageKey: step.messageKey, at: nowMs });
  }
}

function commitAdvance(chain: ReceivingChain, advance: PendingAdvance, nowMs: number): void {
  for (const [c, k] of advance.skipped) chain.skipped.set(c, { messageKey: k.messageKey, at: nowMs });
  // Over the bound, erase the oldest skipped keys (Map order is increasing counter: keys are added as the chain steps).
  for (const [c, k] of chain.skipped) {
    if (chain.skipped.size <= MAX_SKIPPED) break;
    wipe(k.messageKey);
    chain.skipped.delete(c);
  }
  wipe(chain.chainKey);
  chain.chainKey = advance.nextChainKey;
  chain.nextCounter = advance.nextCounter;
}

function markUsed(chain: ReceivingChain, counter: number): void {
  chain.used.add(counter);
  for (const c of chain.used) {
    if (chain.used.size <= MAX_USED_COUNTERS) break;
    chain.used.delete(c);
  }
}
