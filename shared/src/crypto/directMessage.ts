/**
 * Direct boxes to facilitators ("I'm struggling", a breach report; PRODUCT.md §6): one crypto_box
 * (X25519 + XSalsa20-Poly1305) from the sender's session key to each facilitator's session key, authenticated both
 * ways and deniable like the sender-key boxes, and never readable by the group or the relay.
 *
 * Box plaintext (docs/PROTOCOL.md part B, "Direct box"; the format is labelledBox.ts):
 *
 *   utf8(LABEL.DIRECT_MESSAGE) || 0x00 || canonical({v, groupId, sessionId, from, to}) || 0x00 || pad(plaintext)
 *
 * The label keeps a direct box from being taken for a sender-key box (both travel between the same two session
 * keys). Canonical JSON never contains 0x00, so the second separator is unambiguous. The padded plaintext is raw
 * bytes (padded to DIRECT_BUCKETS, up to 16 KiB) so the box stays within the DirectBox schema's 20,000 bytes.
 */
import { KindredError } from '../errors';
import { DirectBox, OBJECT_FORMAT_VERSION } from '../protocol/objects';
import type { SenderKeyRecipient } from './keyDistribution';
import { LABEL } from './labels';
import { openLabelledBox, sealLabelledBox, type BoxContext, type BoxKind } from './labelledBox';
import { DIRECT_BUCKETS } from './padding';
import type { PairwiseKeys } from './pairwiseBox';
import type { RosterState, SessionKeyPair } from './types';

const DIRECT: BoxKind<DirectBox> = { label: LABEL.DIRECT_MESSAGE, v: OBJECT_FORMAT_VERSION, buckets: DIRECT_BUCKETS, schema: DirectBox, what: 'direct box' };

export type DirectContext = BoxContext;

/** Boxes `plaintext` to one recipient. PAYLOAD_TOO_LARGE over 16,383 bytes. `fixed.nonce` is for test vectors only. */
export function sealDirect(
  me: SessionKeyPair | PairwiseKeys,
  to: SenderKeyRecipient,
  ctx: DirectContext,
  plaintext: Uint8Array,
  fixed?: { nonce: Uint8Array },
): DirectBox {
  return sealLabelledBox(DIRECT, me, to, ctx, plaintext, fixed);
}

/**
 * Boxes `plaintext` to every facilitator of `roster` among `recipients` (those with a verified session key), and
 * refuses (NOT_FACILITATOR) a recipient who is not one: a private note must not reach an ordinary member.
 */
export function sealToFacilitators(
  me: SessionKeyPair | PairwiseKeys,
  roster: RosterState,
  recipients: readonly SenderKeyRecipient[],
  ctx: DirectContext,
  plaintext: Uint8Array,
): DirectBox[] {
  const facilitators = new Set(roster.members.filter((m) => m.role === 'facilitator').map((m) => m.id));
  for (const r of recipients) if (!facilitators.has(r.member)) throw new KindredError('NOT_FACILITATOR', 'direct box recipient');
  return recipients.map((r) => sealDirect(me, r, ctx, plaintext));
}

/**
 * Opens a direct box addressed to `expected.me`. `senderSessionPk` is the sender's verified session key for
 * `box.from`; the caller also checks that `from` is in its roster. WRONG_SESSION for another group or session,
 * WRONG_KEY when addressed to another member, DECRYPT_FAILED when it does not authenticate, MALFORMED when the
 * inner fields differ from the outer ones or the padding is wrong.
 */
export function openDirect(
  box: unknown,
  senderSessionPk: Uint8Array,
  myKeyPair: SessionKeyPair | PairwiseKeys,
  expected: { groupId: string; sessionId: string; me: string },
): { from: string; plaintext: Uint8Array } {
  return openLabelledBox(DIRECT, box, senderSessionPk, myKeyPair, expected);
}
