/**
 * The one pairwise box format for small private payloads between two session keys, used by the direct box to
 * facilitators (directMessage.ts) and the member-to-member peer box (peerBox.ts). crypto_box (X25519 +
 * XSalsa20-Poly1305) from the sender's session key to the recipient's: authenticated both ways and deniable.
 *
 *   plaintext = utf8(label) || 0x00 || canonical({v, groupId, sessionId, from, to}) || 0x00 || pad(payload, buckets)
 *
 * Each kind has its own label, so a box of one kind is never taken for another (nor for a sender-key box, whose
 * label differs too). Canonical JSON never contains 0x00, so the second separator is unambiguous.
 */
import { z } from 'zod';
import { KindredError } from '../errors';
import { concatBytes, fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../encoding';
import { MemberId, OpaqueId } from '../protocol/primitives';
import { canonicalBytes } from './canonical';
import type { SenderKeyRecipient } from './keyDistribution';
import { padToBucket, unpadFromBucket } from './padding';
import { boxTo, openFrom, pairwiseFor, type PairwiseKeys } from './pairwiseBox';
import { parseWire } from './parseWire';
import { csprngBytes } from './csprng';
import { expectBytes, wipe } from './sodium';
import type { SessionKeyPair } from './types';

/** The wire shape both kinds share: routing fields in clear, the box. */
export interface LabelledBoxWire {
  v: number;
  groupId: string;
  sessionId: string;
  from: string;
  to: string;
  nonce: string;
  box: string;
}

/** One kind of box: its label, version, padding buckets and wire schema. */
export interface BoxKind<W extends LabelledBoxWire> {
  label: string;
  v: W['v'];
  buckets: readonly number[];
  schema: z.ZodType<W>;
  what: string;
}

export interface BoxContext {
  groupId: string;
  sessionId: string;
  /** The sender's member id. */
  from: string;
}

export function sealLabelledBox<W extends LabelledBoxWire>(
  kind: BoxKind<W>,
  me: SessionKeyPair | PairwiseKeys,
  to: SenderKeyRecipient,
  ctx: BoxContext,
  plaintext: Uint8Array,
  fixed?: { nonce: Uint8Array },
): W {
  expectBytes(to.sessionPk, 32, 'recipient session key');
  const padded = padToBucket(plaintext, kind.buckets);
  const meta = canonicalBytes({ v: kind.v, groupId: ctx.groupId, sessionId: ctx.sessionId, from: ctx.from, to: to.member });
  const inner = concatBytes(utf8(kind.label), new Uint8Array([0]), meta, new Uint8Array([0]), padded);
  const nonce = fixed ? expectBytes(fixed.nonce, 24, 'nonce') : csprngBytes(24);
  const { pw, done } = pairwiseFor(me);
  try {
    const box = boxTo(pw, to.sessionPk, inner, nonce);
    return parseWire(
      kind.schema,
      { v: kind.v, groupId: ctx.groupId, sessionId: ctx.sessionId, from: ctx.from, to: to.member, nonce: toBase64Url(nonce), box: toBase64Url(box) },
      kind.what,
    );
  } finally {
    wipe(padded, inner);
    done();
  }
}

/**
 * Opens a box of `kind` addressed to `expected.me`. WRONG_SESSION for another group or session, WRONG_KEY when
 * addressed to another member, DECRYPT_FAILED when it does not authenticate, MALFORMED when the label, the inner
 * fields or the padding are wrong. The caller checks that `from` is in its roster.
 */
export function openLabelledBox<W extends LabelledBoxWire>(
  kind: BoxKind<W>,
  box: unknown,
  senderSessionPk: Uint8Array,
  myKeyPair: SessionKeyPair | PairwiseKeys,
  expected: { groupId: string; sessionId: string; me: string },
): { from: string; plaintext: Uint8Array } {
  const b = parseWire(kind.schema, box, kind.what);
  if (b.groupId !== expected.groupId || b.sessionId !== expected.sessionId) throw new KindredError('WRONG_SESSION', kind.what);
  if (b.to !== expected.me) throw new KindredError('WRONG_KEY', `${kind.what} is for another member`);
  expectBytes(senderSessionPk, 32, 'sender session key');
  const { pw, done } = pairwiseFor(myKeyPair);
  let inner: Uint8Array;
  try {
    inner = openFrom(pw, senderSessionPk, fromBase64Url(b.box), fromBase64Url(b.nonce));
  } finally {
    done();
  }
  const prefix = concatBytes(utf8(kind.label), new Uint8Array([0]));
  try {
    if (inner.length <= prefix.length || !prefix.every((x, i) => inner[i] === x)) throw new KindredError('MALFORMED', `not a ${kind.what}`);
    const sep = inner.indexOf(0, prefix.length);
    if (sep < 0) throw new KindredError('MALFORMED', `${kind.what} separator`);
    let metaValue: unknown;
    try {
      metaValue = JSON.parse(fromUtf8(inner.subarray(prefix.length, sep)));
    } catch (cause) {
      throw new KindredError('MALFORMED', `${kind.what} meta`, { cause });
    }
    const Meta = z.strictObject({ v: z.literal(kind.v), groupId: OpaqueId, sessionId: OpaqueId, from: MemberId, to: MemberId });
    const meta = parseWire(Meta, metaValue, `${kind.what} meta`);
    if (meta.groupId !== b.groupId || meta.sessionId !== b.sessionId || meta.from !== b.from || meta.to !== b.to) {
      throw new KindredError('MALFORMED', `${kind.what}: inner fields differ from routing fields`);
    }
    return { from: b.from, plaintext: unpadFromBucket(inner.slice(sep + 1), kind.buckets) };
  } finally {
    wipe(inner);
  }
}
