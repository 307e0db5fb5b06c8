/**
 * Peer boxes (protocol v2): member to member, between session keys, for the in-band roster exchange of
 * docs/PROTOCOL.md part B, "Roster head". A member ahead of a sender's stated head sends it the signed entries it
 * lacks; a member behind a head it cannot get from the relay asks a peer for them. The entries are signed roster
 * entries that the recipient verifies like any other (RosterTracker), so the box only needs to keep them from the
 * relay (which must not learn, or drop by content, what changed) and to authenticate the peer. Format: labelledBox.ts
 * with the label LABEL.PEER_BOX, padded to DIRECT_BUCKETS (at most MAX_PEER_ENTRIES entries: the 4 KiB bucket).
 */
import { PROTOCOL_VERSION, PeerBox } from '../protocol/objects';
import { decodePeerContent, encodePeerContent, type PeerContent } from '../protocol/content';
import type { SenderKeyRecipient } from './keyDistribution';
import { LABEL } from './labels';
import { openLabelledBox, sealLabelledBox, type BoxContext, type BoxKind } from './labelledBox';
import { DIRECT_BUCKETS } from './padding';
import type { PairwiseKeys } from './pairwiseBox';
import { wipe } from './sodium';
import type { SessionKeyPair } from './types';

const PEER: BoxKind<PeerBox> = { label: LABEL.PEER_BOX, v: PROTOCOL_VERSION, buckets: DIRECT_BUCKETS, schema: PeerBox, what: 'peer box' };

/** Boxes `content` to one member's verified session key. `fixed.nonce` is for test vectors only. */
export function sealPeer(
  me: SessionKeyPair | PairwiseKeys,
  to: SenderKeyRecipient,
  ctx: BoxContext,
  content: PeerContent,
  fixed?: { nonce: Uint8Array },
): PeerBox {
  const plaintext = encodePeerContent(content);
  try {
    return sealLabelledBox(PEER, me, to, ctx, plaintext, fixed);
  } finally {
    wipe(plaintext);
  }
}

/**
 * Opens a peer box addressed to `expected.me` from `box.from`, whose verified session key is `senderSessionPk`; the
 * caller checks that `from` is a roster member. Codes as openLabelledBox; MALFORMED for content that is not
 * PeerContent.
 */
export function openPeer(
  box: unknown,
  senderSessionPk: Uint8Array,
  myKeyPair: SessionKeyPair | PairwiseKeys,
  expected: { groupId: string; sessionId: string; me: string },
): { from: string; content: PeerContent } {
  const { from, plaintext } = openLabelledBox(PEER, box, senderSessionPk, myKeyPair, expected);
  try {
    return { from, content: decodePeerContent(plaintext) };
  } finally {
    wipe(plaintext);
  }
}
