/**
 * The versioned catalogue of every Socket.IO event between the relay and clients. Each client-to-relay event has a
 * request schema and a result schema; the relay answers every request through the Socket.IO acknowledgement with
 * `{ ok: true, ...result }` or `{ ok: false, error: { code, message } }`. Relay-to-client pushes have one schema
 * each. The schemas are the single source of the runtime checks and of the TypeScript types on both sides.
 */
import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors';
import { Hash32, MemberId, OpaqueId, Signature, b64Bytes } from './primitives';
import {
  DirectBox,
  EncryptedGroupCard,
  PeerBox,
  Envelope,
  PROTOCOL_VERSION,
  SealedSenderKey,
  SignedAcceptance,
  SignedRosterEntry,
  SignedKnockProof,
  SignedSessionKey,
} from './objects';

/** The version of this catalogue; it moves with the wire protocol (objects.ts PROTOCOL_VERSION). */
export const EVENTS_VERSION = 2 as const;

/**
 * What a client states in the Socket.IO handshake (`auth`): the protocol it speaks. The relay refuses a connection
 * that states another version, or none (a client older than version 2), with CLIENT_OUTDATED before any event; the
 * client shows it as "this app is out of date, reload". The other way round, the relay states its version in the
 * auth.challenge answer, and a client refuses a relay whose answer lacks it or names another (RELAY_OUTDATED).
 */
export const HandshakeAuth = z.object({ protocol: z.literal(PROTOCOL_VERSION) });
export type HandshakeAuth = z.infer<typeof HandshakeAuth>;

const Challenge = b64Bytes(32);
const RosterEntries = z.array(SignedRosterEntry).max(10_000);
/** Per-session relay sequence number of a relayed message, for resuming after a reconnect. */
export const RelaySeq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A member present in a live session, with its signed session key (clients verify it against the roster). */
export const PresentMember = z.strictObject({ member: MemberId, sessionKey: SignedSessionKey });
export type PresentMember = z.infer<typeof PresentMember>;

/** A buffered or live relayed message. */
export const RelayedMessage = z.strictObject({ seq: RelaySeq, envelope: Envelope });
export type RelayedMessage = z.infer<typeof RelayedMessage>;

/** Someone waiting to be admitted: the facilitators see the signed acceptance and the session key. */
export const Knock = z.strictObject({
  groupId: OpaqueId,
  sessionId: OpaqueId,
  member: MemberId,
  acceptance: SignedAcceptance,
  sessionKey: SignedSessionKey,
  /**
   * Signed with the invite's key (docs/PROTOCOL.md, "Knock proof"). Optional in the schema only so that a knock
   * without one reaches the facilitator's engine and is reported as a security warning, not dropped unseen.
   */
  proof: SignedKnockProof.optional(),
});
export type Knock = z.infer<typeof Knock>;

const empty = z.strictObject({});

/**
 * What became of the keys sealed to one recipient in a `keys.distribute` request: `delivered` (present: pushed, and
 * buffered for its reconnect), `queued` (a roster member not present right now: buffered for its (re-)entry, within
 * the buffer's TTL and bounds) or `refused` with the code that says why (`NOT_MEMBER`: not in the roster). One refused
 * recipient never fails the others.
 */
export const KeyRecipientOutcome = z.strictObject({
  to: MemberId,
  outcome: z.enum(['delivered', 'queued', 'refused']),
  code: z.enum(['NOT_MEMBER']).optional(),
});
export type KeyRecipientOutcome = z.infer<typeof KeyRecipientOutcome>;

/** Client to relay: `[request, result]` per event. */
/**
 * Most bytes of JSON a client puts in one `keys.distribute` request (~35 sealed keys). The smallest bound a relay
 * accepts is 16 KiB (KINDRED_MAX_PAYLOAD_BYTES), and its transport closes the connection on a frame over twice its
 * bound (Socket.IO maxHttpBufferSize) instead of answering: at 30 KiB (+ the frame's few bytes of event name and ack
 * id) every relay configuration either accepts a request or answers PAYLOAD_TOO_LARGE, which the engine handles by
 * splitting. The default relay (128 KiB) accepts it with a wide margin. A 1,000-member rekey is ~29 requests.
 */
export const KEYS_REQUEST_BUDGET_BYTES = 30 * 1024;

export const ClientEvents = {
  /** Ask for a fresh single-use challenge to sign with the identity key. */
  'auth.challenge': [empty, z.strictObject({ challenge: Challenge, protocol: z.literal(PROTOCOL_VERSION) })],
  /** Prove the identity key; the socket is authenticated as `member` from then on. */
  'auth.prove': [z.strictObject({ member: MemberId, challenge: Challenge, sig: Signature }), empty],

  /** Create a group: the genesis roster entry signed by the creator, who must be the authenticated member. */
  'group.create': [z.strictObject({ genesis: SignedRosterEntry }), empty],
  /** A facilitator publishes an invite: the relay keeps the gate hash and the card encrypted under the invite secret. */
  'invite.create': [
    z.strictObject({ groupId: OpaqueId, inviteId: OpaqueId, gateHash: Hash32, card: EncryptedGroupCard }),
    empty,
  ],
  'invite.revoke': [z.strictObject({ groupId: OpaqueId, inviteId: OpaqueId }), empty],
  /** A facilitator replaces the card a live invite serves (a new revision, encrypted under that invite's secret). */
  'invite.card': [z.strictObject({ groupId: OpaqueId, inviteId: OpaqueId, card: EncryptedGroupCard }), empty],
  /** Open an invite with its gate token: returns the encrypted card and the roster chain to verify it against. */
  'invite.open': [
    z.strictObject({ groupId: OpaqueId, inviteId: OpaqueId, gateToken: b64Bytes(32) }),
    z.strictObject({ card: EncryptedGroupCard, roster: RosterEntries }),
  ],
  /** Roster entries after `sinceEpoch` (members, facilitators and holders of a live knock only). */
  'roster.get': [
    z.strictObject({ groupId: OpaqueId, sinceEpoch: z.number().int().min(-1).max(1_000_000) }),
    z.strictObject({ entries: RosterEntries }),
  ],
  /** Append one signed entry (moderation, admission, session open/close...). The relay verifies the chain. */
  'roster.append': [z.strictObject({ groupId: OpaqueId, entry: SignedRosterEntry }), z.strictObject({ epoch: z.number().int() })],

  /**
   * Enter the open session with this session's signed acceptance of the rules and a fresh signed session key.
   * Roster members join at once; anyone else with a valid gate token waits to be admitted.
   * `lastSeq` asks for buffered messages after it (resume after a reconnect).
   */
  'session.enter': [
    z.strictObject({
      groupId: OpaqueId,
      sessionId: OpaqueId,
      acceptance: SignedAcceptance,
      sessionKey: SignedSessionKey,
      inviteId: OpaqueId.optional(),
      gateToken: b64Bytes(32).optional(),
      /** A knocker's proof that it holds the invite (signed with the invite's key); members send none. */
      knockProof: SignedKnockProof.optional(),
      lastSeq: RelaySeq.optional(),
    }),
    z.strictObject({
      status: z.enum(['joined', 'waiting']),
      /**
       * When joined: the session's latest relay seq at entry. A device that has received no message yet resumes from
       * it after a drop (session.enter with lastSeq), so nothing relayed while it was away is lost.
       */
      seq: RelaySeq.optional(),
      /** When joined: everyone present. When waiting: the facilitators present, to whom the knocker introduces itself. */
      present: z.array(PresentMember).max(10_000),
      missed: z.array(RelayedMessage).max(100_000),
      /** Sender keys sealed to this member while it was away, still buffered. */
      sealed: z.array(SealedSenderKey).max(100_000),
      waiting: z.array(Knock).max(10_000),
    }),
  ],
  'session.leave': [z.strictObject({ groupId: OpaqueId }), empty],
  /** Sender keys, each boxed to one present member's session key. */
  'keys.distribute': [
    z.strictObject({ groupId: OpaqueId, sessionId: OpaqueId, sealed: z.array(SealedSenderKey).min(1).max(10_000) }),
    // One outcome per distinct recipient of the request.
    z.strictObject({ recipients: z.array(KeyRecipientOutcome).max(10_000) }),
  ],
  /** A message for every present member of the session. */
  'message.send': [z.strictObject({ envelope: Envelope }), z.strictObject({ seq: RelaySeq })],
  /** A private box to one facilitator ("I'm struggling", a breach report). */
  'direct.send': [z.strictObject({ box: DirectBox }), empty],
  /** A box to one present member of the session: roster entries it lacks, or a request for them (protocol v2). */
  'peer.send': [z.strictObject({ box: PeerBox }), empty],
} as const;

/** Most sealed keys in one `keys.sealed` push (~110 KiB of JSON): the relay cuts a longer batch into several. */
export const MAX_SEALED_PER_PUSH = 128;

/** Relay to client pushes. */
export const ServerEvents = {
  'roster.entry': z.strictObject({ groupId: OpaqueId, entry: SignedRosterEntry }),
  /** Someone arrived in or left the session (to the session room; a facilitator's arrival also to the waiting room). */
  'session.member': z.strictObject({
    groupId: OpaqueId,
    sessionId: OpaqueId,
    member: MemberId,
    present: z.boolean(),
    sessionKey: SignedSessionKey.optional(),
  }),
  'session.knock': Knock,
  /** Sender keys sealed to this member, coalesced by the relay (at most MAX_SEALED_PER_PUSH per push). */
  'keys.sealed': z.strictObject({ sealed: z.array(SealedSenderKey).min(1).max(MAX_SEALED_PER_PUSH) }),
  message: RelayedMessage,
  direct: z.strictObject({ box: DirectBox }),
  peer: z.strictObject({ box: PeerBox }),
  /** The session ended or this member may no longer be in it (removed, banned). Clients wipe it. */
  'session.closed': z.strictObject({
    groupId: OpaqueId,
    sessionId: OpaqueId,
    reason: z.enum(['ended', 'removed', 'banned', 'left']),
  }),
} as const;

export type ClientEventName = keyof typeof ClientEvents;
export type ServerEventName = keyof typeof ServerEvents;
export type ClientRequest<E extends ClientEventName> = z.infer<(typeof ClientEvents)[E][0]>;
export type ClientResult<E extends ClientEventName> = z.infer<(typeof ClientEvents)[E][1]>;
export type ServerPayload<E extends ServerEventName> = z.infer<(typeof ServerEvents)[E]>;

export const WireError = z.strictObject({
  code: z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]),
  message: z.string().max(500),
});
export type WireError = z.infer<typeof WireError>;

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: WireError };

/** Socket.IO typed-event maps, derived from the catalogue. */
export type ClientToServerEvents = {
  [E in ClientEventName]: (request: ClientRequest<E>, ack: (result: Ack<ClientResult<E>>) => void) => void;
};
export type ServerToClientEvents = {
  [E in ServerEventName]: (payload: ServerPayload<E>) => void;
};

export function isClientEventName(name: unknown): name is ClientEventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ClientEvents, name);
}
