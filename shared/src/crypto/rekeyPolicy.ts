/**
 * When a sender replaces its chain (SECURITY.md §6), and the replacement itself. A new chain means a new chain key,
 * a new ephemeral signing key and a new key id, sealed to every current member:
 *
 * - the roster's rekeyEpoch moved past the chain's epoch: a removal, leave or ban (the one who left holds the old
 *   chain), or a session opening or closing. Post-compromise healing and lock-out within one round trip.
 * - REKEY_AFTER_MESSAGES messages on one chain, and REKEY_AFTER_MS of its life: heals a silently leaked chain key.
 *
 * An admit needs no new chain: the newcomer is sent the current chain key at the current counter (sealSenderKey
 * always sends the current state), so it reads from its arrival on and nothing before.
 */
import { KindredError } from '../errors';
import type { SealedSenderKey } from '../protocol/objects';
import { sealSenderKey, type SenderKeyRecipient } from './keyDistribution';
import type { PairwiseKeys } from './pairwiseBox';
import { createOwnSenderChain, wipeChain, type OwnSenderChain } from './senderKeyChain';
import type { RosterState, SessionKeyPair } from './types';

/** Messages per chain before a new one. Equal to MAX_FORWARD_JUMP, so one chain never outruns a receiver's bound. */
export const REKEY_AFTER_MESSAGES = 1000;
/** Life of a chain before a new one: half an hour, so a leaked chain key reads at most that much of a session. */
export const REKEY_AFTER_MS = 30 * 60_000;

/**
 * Rekey rule (docs/PROTOCOL.md part B, "Rekey"). When a removal, leave or ban (or the chain's age) calls for a new
 * chain, a session of at most this many present members (me included) makes it at once and seals it to everyone:
 * (N−1)² boxes in all, about a thousand at 32, so every device soon holds only new chains. Above it the engine only
 * WIPES its chain then, and makes and distributes the new one just before its own next message (lazy): one member's
 * rekey is O(N) and happens when it speaks, instead of every member sealing to every other at once, O(N²) (a
 * million pushes at 1,000 members; docs/BENCHMARKS.md "Findings" 2). Either way no message leaves on a chain made
 * before the removal: the send checks needsRekey in the same synchronous turn as it encrypts.
 */
export const EAGER_REKEY_MAX_PRESENT = 32;

export type RekeyReason = 'wiped' | 'session' | 'roster' | 'messages' | 'age';

/** Why `chain` must not send the next message (make a new one first), or null when it may. */
export function needsRekey(chain: OwnSenderChain, roster: RosterState, nowMs: number): RekeyReason | null {
  if (chain.wiped) return 'wiped';
  if (!roster.session || !roster.session.open || roster.session.id !== chain.sessionId || roster.groupId !== chain.groupId) return 'session';
  if (chain.epoch < roster.rekeyEpoch) return 'roster';
  if (chain.counter >= REKEY_AFTER_MESSAGES) return 'messages';
  if (nowMs - chain.createdAt >= REKEY_AFTER_MS) return 'age';
  return null;
}

/**
 * Seals `chain` to each recipient, refusing (NOT_MEMBER) any who is not in `roster` or is the sender itself: keys go
 * to roster members only, whatever the relay says is in the room.
 */
export function sealToMembers(
  chain: OwnSenderChain,
  roster: RosterState,
  recipients: readonly SenderKeyRecipient[],
  me: SessionKeyPair | PairwiseKeys,
): SealedSenderKey[] {
  const members = new Set(roster.members.map((m) => m.id));
  for (const r of recipients) {
    if (!members.has(r.member) || r.member === chain.sender) throw new KindredError('NOT_MEMBER', 'sender key recipient');
  }
  return recipients.map((r) => sealSenderKey(chain, r, me));
}

/**
 * A new chain at the roster's current epoch, sealed to `recipients`; the old chain, if any, is wiped (a sender never
 * needs its own old chain: it keeps its plaintexts, not its keys). SESSION_NOT_OPEN when no session is open.
 */
export function rekey(params: {
  old?: OwnSenderChain;
  roster: RosterState;
  sender: string;
  recipients: readonly SenderKeyRecipient[];
  me: SessionKeyPair | PairwiseKeys;
  nowMs: number;
}): { chain: OwnSenderChain; sealed: SealedSenderKey[] } {
  const { roster } = params;
  if (!roster.session?.open) throw new KindredError('SESSION_NOT_OPEN');
  if (params.old && !params.old.wiped) wipeChain(params.old);
  const chain = createOwnSenderChain({
    groupId: roster.groupId,
    sessionId: roster.session.id,
    epoch: roster.epoch,
    rosterHash: roster.head,
    sender: params.sender,
    nowMs: params.nowMs,
  });
  return { chain, sealed: sealToMembers(chain, roster, params.recipients, params.me) };
}
