/**
 * Sender key chains (SECURITY.md §5). Per member per epoch: a 32-byte chain key, an ephemeral Ed25519 signing key
 * and a random key id. For each message the chain steps once with `crypto_kdf_derive_from_key` (BLAKE2b):
 *
 *   messageKey = KDF(32, subkey 1, KDF_CONTEXT.MESSAGE_KEY "KdMsgKey", chainKey)
 *   nextChain  = KDF(32, subkey 1, KDF_CONTEXT.CHAIN_KEY  "KdChainK", chainKey)
 *
 * Two contexts, so a message key is never also a chain key. The old chain key is wiped (`sodium_memzero`) as soon as
 * the next one exists: whoever seizes the current chain key cannot go back to earlier message keys (forward secrecy
 * within the chain), and a newcomer handed the current chain key cannot read what came before it.
 *
 * The signing key is fresh per epoch, never the identity key, and its public half travels only inside pairwise
 * crypto_box (deniability: a transcript shows signatures by a key no third party can tie to a person).
 */
import { KindredError } from '../errors';
import { toBase64Url } from '../encoding';
import { z } from 'zod';
import { Hash32, MemberId, OpaqueId } from '../protocol/primitives';
import { KDF_CONTEXT } from './labels';
import { parseWire } from './parseWire';
import { csprngBytes } from './csprng';
import { expectBytes, sodium, wipe } from './sodium';

/** The highest counter a header can carry; a chain that reaches it must be replaced (rekeyPolicy rekeys far earlier). */
export const MAX_COUNTER = 2 ** 32 - 1;

const ChainContextShape = z.strictObject({
  groupId: OpaqueId,
  sessionId: OpaqueId,
  epoch: z.number().int().min(0).max(1_000_000),
  rosterHash: Hash32,
  sender: MemberId,
});

/** What a chain is bound to: every field is in every message header and in every sealed copy of the key. */
export interface ChainContext {
  groupId: string;
  sessionId: string;
  /** Roster epoch at which the chain was made. */
  epoch: number;
  /** Hash of the roster entry at that epoch. */
  rosterHash: string;
  /** Member id of the sender. */
  sender: string;
}

/** The sending side of one chain. Mutable: each encryptMessage steps it. */
export interface OwnSenderChain extends ChainContext {
  /** 16 random bytes, base64url: names the chain in headers. */
  keyId: string;
  /** Chain key for `counter` (the next message to send). */
  chainKey: Uint8Array;
  /** Counter of the next message. */
  counter: number;
  /** Ephemeral Ed25519 key pair of this epoch (libsodium layout: 64-byte secret key). */
  signingKeyPair: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** Caller's clock when the chain was made (rekeyPolicy's age rule); the crypto reads no clock itself. */
  createdAt: number;
  /** True once wipeChain erased the secrets. */
  wiped: boolean;
  /**
   * The sender's current verified roster head, stated in every header and sealed copy of the chain (protocol v2).
   * Starts at the chain's own (epoch, rosterHash); the device moves it forward with stateHead on every roster entry it
   * accepts, so that what it sends tells the others which roster it holds.
   */
  head: { epoch: number; hash: string };
}

/** Fixed inputs, for test vectors only: live code never passes them. */
export interface FixedChainInputs {
  chainKey: Uint8Array;
  signingSeed: Uint8Array;
  keyId: Uint8Array;
}

/** A new chain: random chain key and key id, fresh Ed25519 signing key pair, counter 0. */
export function createOwnSenderChain(ctx: ChainContext & { nowMs: number }, fixed?: FixedChainInputs): OwnSenderChain {
  // Checked once here, so that every header and sealed key built from the chain is well-formed without re-parsing.
  parseWire(ChainContextShape, { groupId: ctx.groupId, sessionId: ctx.sessionId, epoch: ctx.epoch, rosterHash: ctx.rosterHash, sender: ctx.sender }, 'chain context');
  if (!Number.isFinite(ctx.nowMs)) throw new KindredError('BAD_REQUEST', 'nowMs');
  const s = sodium();
  // crypto_sign_seed_keypair over a fresh CSPRNG seed (what crypto_sign_keypair does, minus libsodium.js's slow
  // randomness; csprng.ts).
  const seed = fixed ? expectBytes(fixed.signingSeed, 32, 'signing seed') : csprngBytes(32);
  const kp = s.crypto_sign_seed_keypair(seed);
  if (!fixed) wipe(seed);
  return {
    groupId: ctx.groupId,
    sessionId: ctx.sessionId,
    epoch: ctx.epoch,
    rosterHash: ctx.rosterHash,
    sender: ctx.sender,
    keyId: toBase64Url(fixed ? expectBytes(fixed.keyId, 16, 'key id') : csprngBytes(16)),
    chainKey: fixed ? Uint8Array.from(expectBytes(fixed.chainKey, 32, 'chain key')) : csprngBytes(32),
    counter: 0,
    signingKeyPair: { publicKey: kp.publicKey, secretKey: kp.privateKey },
    createdAt: ctx.nowMs,
    wiped: false,
    head: { epoch: ctx.epoch, hash: ctx.rosterHash },
  };
}

/**
 * Moves the head the chain states to `head` (the device's verified roster head). Only forward: a head older than
 * the one already stated, or older than the chain, is refused (BAD_REQUEST), since a sender's stated head never goes
 * back. The hash is checked by the shape (a 32-byte base64url hash).
 */
export function stateHead(chain: OwnSenderChain, head: { epoch: number; hash: string }): void {
  if (!Number.isSafeInteger(head.epoch) || head.epoch < chain.head.epoch) throw new KindredError('BAD_REQUEST', 'stated head goes back');
  if (head.epoch === chain.head.epoch) {
    if (head.hash !== chain.head.hash) throw new KindredError('ROSTER_FORK', 'stated head');
    return;
  }
  parseWire(Hash32, head.hash, 'stated head hash');
  chain.head = { epoch: head.epoch, hash: head.hash };
}

/** One step of a chain key: the message key for its counter and the chain key for the next. Does not wipe. */
export function stepChainKey(chainKey: Uint8Array): { messageKey: Uint8Array; nextChainKey: Uint8Array } {
  expectBytes(chainKey, 32, 'chain key');
  const s = sodium();
  return {
    messageKey: s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.MESSAGE_KEY, chainKey),
    nextChainKey: s.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT.CHAIN_KEY, chainKey),
  };
}

/**
 * Steps the own chain for one message: returns the counter and message key to use (the caller wipes the message key
 * after encrypting), replaces the chain key by the next one and wipes the old one.
 */
export function advanceOwnChain(chain: OwnSenderChain): { counter: number; messageKey: Uint8Array } {
  if (chain.wiped) throw new KindredError('BAD_REQUEST', 'sender chain was wiped');
  if (chain.counter > MAX_COUNTER) throw new KindredError('BAD_REQUEST', 'sender chain exhausted: rekey');
  const { messageKey, nextChainKey } = stepChainKey(chain.chainKey);
  wipe(chain.chainKey);
  chain.chainKey = nextChainKey;
  const counter = chain.counter;
  chain.counter += 1;
  return { counter, messageKey };
}

/** Erases the chain's secrets (chain key, signing secret key) at rekey or session end; the chain is unusable after. */
export function wipeChain(chain: OwnSenderChain): void {
  wipe(chain.chainKey, chain.signingKeyPair.secretKey);
  chain.wiped = true;
}
