/**
 * The plaintexts: what is inside an Envelope's ciphertext (after unpadding) and inside a DirectBox. The relay never
 * sees these; every client validates them after decryption, so a malicious member cannot crash or confuse another
 * client with a well-encrypted but ill-formed payload. Encoded as UTF-8 JSON (`encodeContent`).
 *
 * An Envelope's header `type` selects the schema: 'chat' carries ChatContent, 'signal' carries SignalContent, so a
 * signal can never be displayed as a chat message (the type is authenticated in the AEAD associated data).
 */
import { z } from 'zod';
import { KindredError } from '../errors';
import { fromUtf8, utf8 } from '../encoding';
import { Hash32, MAX_TEXT_LENGTH, MemberId, OpaqueId } from './primitives';
import { SignedGroupCard, SignedRosterEntry, type MessageType } from './objects';

export const CONTENT_VERSION = 1 as const;

/** Names a message in the session: its sender, the sender key id and the counter (unique per session). */
export const MessageRef = z.strictObject({
  sender: MemberId,
  keyId: OpaqueId,
  counter: z.number().int().min(0).max(2 ** 32 - 1),
});
export type MessageRef = z.infer<typeof MessageRef>;

/** Longest pseudonym a member may show in a session. */
export const MAX_DISPLAY_NAME = 64;
/** Longest private note to the facilitators. */
export const MAX_DIRECT_TEXT = 4_000;

// ---------- chat ----------
export const ChatContent = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('text'),
    text: z.string().min(1).max(MAX_TEXT_LENGTH),
    replyTo: MessageRef.optional(),
    /**
     * The sender's random id for this message (16 bytes): a message re-sent after a lost answer is shown once, even
     * if it was encrypted again under another counter. Receivers keep the first of each (sender, id) in a session.
     */
    id: OpaqueId.optional(),
  }),
]);
export type ChatContent = z.infer<typeof ChatContent>;

// ---------- signals ----------
/** Talking-stick rounds: check-in and check-out go around everyone once; an open round is for whoever is handed the stick. */
export const RoundKind = z.enum(['check-in', 'check-out', 'open']);
export type RoundKind = z.infer<typeof RoundKind>;

export const SignalContent = z.discriminatedUnion('kind', [
  /** The sender's pseudonym for this session (sent on entering and to newcomers): names never reach the relay. */
  z.strictObject({ kind: z.literal('profile'), name: z.string().min(1).max(MAX_DISPLAY_NAME) }),
  /** The sender started or stopped typing. */
  z.strictObject({ kind: z.literal('typing'), on: z.boolean() }),
  /**
   * Hand raised or lowered. Without `member` it is the sender's own hand; a facilitator may lower (`raised: false`)
   * another member's hand by naming it. Clients ignore a non-facilitator naming someone else.
   */
  z.strictObject({ kind: z.literal('hand'), raised: z.boolean(), member: MemberId.optional() }),
  /** A facilitator starts a round with its speaking order. */
  z.strictObject({
    kind: z.literal('round.start'),
    roundId: OpaqueId,
    round: RoundKind,
    order: z.array(MemberId).min(1).max(500),
  }),
  /** The current holder (or a facilitator) passes the stick; `to` names the next speaker, else the next in order. */
  z.strictObject({ kind: z.literal('round.pass'), roundId: OpaqueId, to: MemberId.optional() }),
  /** A facilitator ends the round. */
  z.strictObject({ kind: z.literal('round.end'), roundId: OpaqueId }),
  /** A facilitator shares an edited group card (newer revision, signed); clients verify it before showing it. */
  z.strictObject({ kind: z.literal('card.updated'), card: SignedGroupCard }),
  /**
   * "I hold this roster": sent by every member on accepting new roster entries. It says nothing beyond its header,
   * whose stated head is the acknowledgement a facilitator's change waits for (and proof of it for anyone behind).
   */
  z.strictObject({ kind: z.literal('head') }),
]);
export type SignalContent = z.infer<typeof SignalContent>;
export type SignalKind = SignalContent['kind'];

// ---------- direct boxes ----------
/** A member's private note to the facilitators present. */
export const DirectNoteContent = z.strictObject({
  kind: z.enum(['struggling', 'breach-report']),
  text: z.string().max(MAX_DIRECT_TEXT),
  /** Random, chosen by the member and the same in the box to each facilitator: what a read receipt names. */
  noteId: OpaqueId.optional(),
});
export type DirectNoteContent = z.infer<typeof DirectNoteContent>;
/**
 * Someone in the waiting room tells the facilitators present its pseudonym for this session, so that they know whom
 * they admit. Facilitators take it only from a sender whose knock they verified, and only this kind from a knocker.
 */
export const IntroductionContent = z.strictObject({
  kind: z.literal('introduction'),
  name: z.string().min(1).max(MAX_DISPLAY_NAME),
  /** knockProofHash of the knock this name belongs to: a facilitator shows the name only on that verified knock. */
  knock: Hash32,
});
export type IntroductionContent = z.infer<typeof IntroductionContent>;
/**
 * A facilitator tells the member who wrote a note that it has been read (the member sees "A facilitator has read
 * your note"). Members take it only from a facilitator of their verified roster, and only for a note they sent.
 */
export const ReadReceiptContent = z.strictObject({ kind: z.literal('read-receipt'), noteId: OpaqueId });
export type ReadReceiptContent = z.infer<typeof ReadReceiptContent>;
/**
 * A facilitator tells the other facilitators present that it has read member `author`'s note `noteId`, so that the
 * note stops asking for attention on their devices too. Facilitators take it only from a facilitator of their verified
 * roster, and only for a note they hold from that author; members drop it.
 */
export const NoteReadContent = z.strictObject({ kind: z.literal('note-read'), noteId: OpaqueId, author: MemberId });
export type NoteReadContent = z.infer<typeof NoteReadContent>;
export const DirectContent = z.union([DirectNoteContent, IntroductionContent, ReadReceiptContent, NoteReadContent]);
export type DirectContent = z.infer<typeof DirectContent>;

// ---------- peer boxes (member to member, protocol v2) ----------
/** Most entries in one peer box (~3 KB: the box stays in the 4 KiB bucket, far under any relay bound); a member further behind asks again. */
export const MAX_PEER_ENTRIES = 8;
export const PeerContent = z.discriminatedUnion('kind', [
  /** Signed roster entries the recipient lacks, in epoch order (it verifies them like any others). */
  z.strictObject({ kind: z.literal('entries'), entries: z.array(SignedRosterEntry).min(1).max(MAX_PEER_ENTRIES) }),
  /** "Send me the entries after this epoch": a member behind a head it could not get from the relay. */
  z.strictObject({ kind: z.literal('head-request'), since: z.number().int().min(-1).max(1_000_000) }),
]);
export type PeerContent = z.infer<typeof PeerContent>;

export function encodePeerContent(content: PeerContent): Uint8Array {
  const parsed = PeerContent.safeParse(content);
  if (!parsed.success) throw new KindredError('MALFORMED', 'peer content', { cause: parsed.error });
  return utf8(JSON.stringify(parsed.data));
}

export function decodePeerContent(bytes: Uint8Array): PeerContent {
  return parseJson(PeerContent, bytes, 'peer content');
}

export type ContentFor<T extends MessageType> = T extends 'chat' ? ChatContent : SignalContent;

/** UTF-8 JSON of a content object, validated first so that a client never sends what its peers would refuse. */
export function encodeContent(type: 'chat', content: ChatContent): Uint8Array;
export function encodeContent(type: 'signal', content: SignalContent): Uint8Array;
export function encodeContent(type: MessageType, content: ChatContent | SignalContent): Uint8Array {
  const schema = type === 'chat' ? ChatContent : SignalContent;
  const parsed = schema.safeParse(content);
  if (!parsed.success) throw new KindredError('MALFORMED', `${type} content`, { cause: parsed.error });
  return utf8(JSON.stringify(parsed.data));
}

/** Parses decrypted bytes for the envelope's type; throws KindredError('MALFORMED') on anything else. */
export function decodeContent(type: 'chat', bytes: Uint8Array): ChatContent;
export function decodeContent(type: 'signal', bytes: Uint8Array): SignalContent;
export function decodeContent(type: MessageType, bytes: Uint8Array): ChatContent | SignalContent;
export function decodeContent(type: MessageType, bytes: Uint8Array): ChatContent | SignalContent {
  const schema: z.ZodType<ChatContent | SignalContent> = type === 'chat' ? ChatContent : SignalContent;
  return parseJson(schema, bytes, `${type} content`);
}

export function encodeDirectContent(content: DirectContent): Uint8Array {
  const parsed = DirectContent.safeParse(content);
  if (!parsed.success) throw new KindredError('MALFORMED', 'direct content', { cause: parsed.error });
  return utf8(JSON.stringify(parsed.data));
}

export function decodeDirectContent(bytes: Uint8Array): DirectContent {
  return parseJson(DirectContent, bytes, 'direct content');
}

function parseJson<T>(schema: z.ZodType<T>, bytes: Uint8Array, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch (cause) {
    throw new KindredError('MALFORMED', what, { cause });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new KindredError('MALFORMED', what, { cause: parsed.error });
  return parsed.data;
}
