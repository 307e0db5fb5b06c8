/**
 * Direct boxes to facilitators ("I'm struggling", a breach report; PRODUCT.md §6): one crypto_box
 * (X25519 + XSalsa20-Poly1305) from the sender's session key to each facilitator's session key, authenticated both
 * ways and deniable like the sender-key boxes, and never readable by the group or the relay.
 *
 * Box plaintext (docs/PROTOCOL.md part B, "Direct box"):
 *
 *   utf8(LABEL.DIRECT_MESSAGE) || 0x00 || canonical({v, groupId, sessionId, from, to}) || 0x00 || pad(plaintext)
 *
 * The label keeps a direct box from being taken for a sender-key box (both travel between the same two session
 * keys). Canonical JSON never contains 0x00, so the second separator is unambiguous. The padded plaintext is raw
 * bytes (padded to DIRECT_BUCKETS, up to 16 KiB) so the box stays within the DirectBox schema's 20,000 bytes.
 */
import { z } from 'zod';
import { KindredError } from '../errors';
import { concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../encoding';
import { DirectBox, OBJECT_FORMAT_VERSION } from '../protocol/objects';
import { MemberId, OpaqueId } from '../protocol/primitives';
import { canonicalBytes } from './canonical';
import type { SenderKeyRecipient } from './keyDistribution';
import { LABEL } from './labels';
import { DIRECT_BUCKETS, padToBucket, unpadFromBucket } from './padding';
import { boxTo, openFrom, pairwiseFor, type PairwiseKeys } from './pairwiseBox';
import { parseWire } from './parseWire';
import { csprngBytes } from './csprng';
import { expectBytes, wipe } from './sodium';
import type { RosterState, SessionKeyPair } from './types';

const PREFIX = concatBytes(utf8(LABEL.DIRECT_MESSAGE), new Uint8Array([0]));

const Meta = z.strictObject({ v: z.literal(OBJECT_FORMAT_VERSION), groupId: OpaqueId, sessionId: OpaqueId, from: MemberId, to: MemberId });

export interface DirectContext {
  groupId: string;
  sessionId: string;
  /** The sender's member id. */
  from: string;
}

/** Boxes `plaintext` to one recipient. PAYLOAD_TOO_LARGE over 16,383 bytes. `fixed.nonce` is for test vectors only. */
export function sealDirect(
  me: SessionKeyPair | PairwiseKeys,
  to: SenderKeyRecipient,
  ctx: DirectContext,
  plaintext: Uint8Array,
  fixed?: { nonce: Uint8Array },
): DirectBox {
  expectBytes(to.sessionPk, 32, 'recipient session key');
  const padded = padToBucket(plaintext, DIRECT_BUCKETS);
  const meta = canonicalBytes({ v: OBJECT_FORMAT_VERSION, groupId: ctx.groupId, sessionId: ctx.sessionId, from: ctx.from, to: to.member });
  const inner = concatBytes(PREFIX, meta, new Uint8Array([0]), padded);
  const nonce = fixed ? expectBytes(fixed.nonce, 24, 'nonce') : csprngBytes(24);
  const { pw, done } = pairwiseFor(me);
  try {
    const box = boxTo(pw, to.sessionPk, inner, nonce);
    return parseWire(
      DirectBox,
      { v: OBJECT_FORMAT_VERSION, groupId: ctx.groupId, sessionId: ctx.sessionId, from: ctx.from, to: to.member, nonce: toBase64Url(nonce), box: toBase64Url(box) },
      'direct box',
    );
  } finally {
    wipe(padded, inner);
    done();
  }
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
  const b = parseWire(DirectBox, box, 'direct box');
  if (b.groupId !== expected.groupId || b.sessionId !== expected.sessionId) throw new KindredError('WRONG_SESSION', 'direct box');
  if (b.to !== expected.me) throw new KindredError('WRONG_KEY', 'direct box is for another member');
  expectBytes(senderSessionPk, 32, 'sender session key');
  const { pw, done } = pairwiseFor(myKeyPair);
  let inner: Uint8Array;
  try {
    inner = openFrom(pw, senderSessionPk, fromBase64Url(b.box), fromBase64Url(b.nonce));
  } finally {
    done();
  }
  try {
    if (inner.length <= PREFIX.length || !PREFIX.every((x, i) => inner[i] === x)) throw new KindredError('MALFORMED', 'not a direct box');
    const sep = inner.indexOf(0, PREFIX.length);
    if (sep < 0) throw new KindredError('MALFORMED', 'direct box separator');
    let metaValue: unknown;
    try {
      metaValue = JSON.parse(fromUtf8(inner.subarray(PREFIX.length, sep)));
    } catch (cause) {
      throw new KindredError('MALFORMED', 'direct box meta', { cause });
    }
    const meta = parseWire(Meta, metaValue, 'direct box meta');
    if (meta.groupId !== b.groupId || meta.sessionId !== b.sessionId || meta.from !== b.from || meta.to !== b.to) {
      throw new KindredError('MALFORMED', 'direct box: inner fields differ from routing fields');
    }
    return { from: b.from, plaintext: unpadFromBucket(inner.slice(sep + 1), DIRECT_BUCKETS) };
  } finally {
    wipe(inner);
  }
}
