/**
 * The protocol objects: what is signed, hashed, encrypted and carried by the relay. Each zod schema is the single
 * source of its runtime check and of its TypeScript type. Exact byte formats: docs/PROTOCOL.md.
 */
import { z } from 'zod';
import { Hash32, MemberId, Nonce24, OpaqueId, Signature, X25519PublicKey, b64Max, MAX_MESSAGE_CIPHERTEXT } from './primitives';
import { b64Bytes } from './primitives';

/**
 * The wire protocol's version: what a client states in its Socket.IO handshake and the relay in its auth.challenge
 * answer (either side refuses another one), and the `v` of the objects whose format changed with it: message headers
 * and sealed sender keys (version 2 added the sender's current roster head to both), group card bodies (version 2
 * added the salt that keys the rules digest) and knock proofs (new in version 2).
 */
export const PROTOCOL_VERSION = 2 as const;
/**
 * The `v` of the objects whose format has not changed since version 1 (roster entries, session keys, acceptances,
 * direct boxes, wrapped identities, the encrypted card's envelope). Roster entries gained the `invite` and
 * `inviteRevoke` ops in version 2; an entry of an older op reads as it always did. Kept apart so that stored roster chains and identities wrapped at
 * rest stay valid across the protocol bump: a version names a format, and these formats did not change.
 */
export const OBJECT_FORMAT_VERSION = 1 as const;
const V = z.literal(OBJECT_FORMAT_VERSION);
const V2 = z.literal(PROTOCOL_VERSION);

/** An invite's Ed25519 public signing key (base64url, 32 bytes), derived from the invite secret. */
export const InvitePublicKey = b64Bytes(32);

export const Role = z.enum(['facilitator', 'member']);
export type Role = z.infer<typeof Role>;

/** Expiry: how long a message lives on each device after it arrives (seconds). 0 is not allowed: nothing lives forever. */
export const ExpirySeconds = z.number().int().min(10).max(7 * 24 * 3600);

export const RosterPolicy = z.strictObject({
  expirySeconds: ExpirySeconds,
  slowModeSeconds: z.number().int().min(0).max(3600),
  muteAllButFacilitators: z.boolean(),
  /**
   * Newcomers whose knock verifies (invite proof, acceptance, session key) are admitted by the first facilitator
   * client that sees the knock, with an ordinary signed `admit`. Absent = off, so every earlier genesis reads as before.
   */
  autoAdmit: z.boolean().optional(),
});
export type RosterPolicy = z.infer<typeof RosterPolicy>;

// ---------- Roster ----------
export const RosterOp = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('genesis'), creator: MemberId, policy: RosterPolicy }),
  z.strictObject({ type: z.literal('admit'), member: MemberId }),
  z.strictObject({ type: z.literal('remove'), member: MemberId }),
  z.strictObject({ type: z.literal('leave'), member: MemberId }),
  z.strictObject({ type: z.literal('ban'), member: MemberId }),
  z.strictObject({ type: z.literal('unban'), member: MemberId }),
  z.strictObject({ type: z.literal('role'), member: MemberId, role: Role }),
  z.strictObject({ type: z.literal('mute'), member: MemberId }),
  z.strictObject({ type: z.literal('unmute'), member: MemberId }),
  z.strictObject({ type: z.literal('muteAll'), on: z.boolean() }),
  z.strictObject({ type: z.literal('lock'), on: z.boolean() }),
  /** Turns "admit automatically" on or off (policy.autoAdmit). */
  z.strictObject({ type: z.literal('autoAdmit'), on: z.boolean() }),
  z.strictObject({ type: z.literal('expiry'), expirySeconds: ExpirySeconds }),
  z.strictObject({ type: z.literal('slowMode'), seconds: z.number().int().min(0).max(3600) }),
  z.strictObject({ type: z.literal('sessionOpen'), sessionId: OpaqueId }),
  z.strictObject({ type: z.literal('sessionClose'), sessionId: OpaqueId }),
  /** A new invite and its public signing key (derived from the invite secret): facilitators check knocks with it. */
  z.strictObject({ type: z.literal('invite'), inviteId: OpaqueId, invitePk: InvitePublicKey }),
  z.strictObject({ type: z.literal('inviteRevoke'), inviteId: OpaqueId }),
]);
export type RosterOp = z.infer<typeof RosterOp>;
export type RosterOpType = RosterOp['type'];

export const RosterEntryBody = z.strictObject({
  v: V,
  groupId: OpaqueId,
  /** 0 for genesis, then +1 per entry. */
  epoch: z.number().int().min(0).max(1_000_000),
  /** Hash of the previous signed entry; empty for genesis. */
  prev: z.union([Hash32, z.literal('')]),
  op: RosterOp,
  signer: MemberId,
});
export type RosterEntryBody = z.infer<typeof RosterEntryBody>;

export const SignedRosterEntry = z.strictObject({ body: RosterEntryBody, sig: Signature });
export type SignedRosterEntry = z.infer<typeof SignedRosterEntry>;

// ---------- Group card ----------
/**
 * When the group meets next, as the facilitator set it: the instant (Unix milliseconds, UTC), the facilitator's UTC
 * offset at that instant (minutes east of UTC, what they typed it in) and how long it lasts. Inside the encrypted card:
 * the relay never sees it. Members show it in their own time zone.
 */
export const NextSession = z.strictObject({
  /** Unix time in milliseconds (UTC), a whole minute; up to the year 9999. */
  startsAt: z
    .number()
    .int()
    .min(0)
    .max(253_402_300_740_000)
    .refine((ms) => ms % 60_000 === 0, 'a whole minute'),
  /** The facilitator's offset from UTC at that instant, in minutes (UTC+01:00 is 60; -14:00 to +14:00). */
  utcOffsetMinutes: z.number().int().min(-840).max(840),
  durationMinutes: z.number().int().min(5).max(1440),
});
export type NextSession = z.infer<typeof NextSession>;

export const GroupCardBody = z.strictObject({
  v: V2,
  groupId: OpaqueId,
  name: z.string().min(1).max(120),
  groundRules: z.string().min(1).max(8000),
  codeOfConduct: z.string().min(1).max(8000),
  confidentialityLimits: z.string().min(1).max(8000),
  crisisResources: z.string().min(1).max(4000),
  expirySeconds: ExpirySeconds,
  requireSignedAgreement: z.boolean(),
  /** Increases with each edit so that an older card cannot be served as current. */
  revision: z.number().int().min(1).max(1_000_000),
  signer: MemberId,
  /**
   * 32 random bytes, kept across revisions, never seen by the relay (the card is encrypted): the key of the rules
   * digest is derived from it, so the relay can compare digests but not test guesses of the card.
   */
  salt: b64Bytes(32),
  /** Optional (issue 17): absent in every earlier card, which therefore encodes, signs and digests exactly as before. */
  nextSession: NextSession.optional(),
});
export type GroupCardBody = z.infer<typeof GroupCardBody>;
export const SignedGroupCard = z.strictObject({ body: GroupCardBody, sig: Signature });
export type SignedGroupCard = z.infer<typeof SignedGroupCard>;
/** The card as the relay stores it: XChaCha20-Poly1305 under a key derived from an invite secret. */
export const EncryptedGroupCard = z.strictObject({ v: V, nonce: Nonce24, ct: b64Max(40_000) });
export type EncryptedGroupCard = z.infer<typeof EncryptedGroupCard>;

// ---------- Session keys ----------
export const SessionKeyBody = z.strictObject({
  v: V,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  member: MemberId,
  sessionPk: X25519PublicKey,
  /** Grows with each session key a member makes for one session: receivers refuse an older one (a replay). */
  gen: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
export type SessionKeyBody = z.infer<typeof SessionKeyBody>;
export const SignedSessionKey = z.strictObject({ body: SessionKeyBody, sig: Signature });
export type SignedSessionKey = z.infer<typeof SignedSessionKey>;

// ---------- Sender keys ----------
/** A sender key boxed (crypto_box) from the sender's session key to one recipient's session key. */
export const SealedSenderKey = z.strictObject({
  v: V2,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  from: MemberId,
  to: MemberId,
  keyId: OpaqueId,
  /**
   * The generation of the recipient's session key the box was sealed to (a routing hint, outside the box): a
   * recipient whose key is newer drops the box as stale instead of taking a failure to open it for tampering.
   */
  toGen: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  nonce: Nonce24,
  box: b64Max(1024),
});
export type SealedSenderKey = z.infer<typeof SealedSenderKey>;

// ---------- Messages ----------
export const MessageType = z.enum(['chat', 'signal']);
export type MessageType = z.infer<typeof MessageType>;

/** The header: every field is associated data of the AEAD and covered by the epoch signature. */
export const MessageHeader = z.strictObject({
  v: V2,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  /** Roster epoch at which the sender's chain was made. */
  epoch: z.number().int().min(0).max(1_000_000),
  /** Hash of the roster entry at that epoch. */
  rosterHash: Hash32,
  /**
   * The sender's current roster head when it wrote the message (at or after the chain's epoch): receivers judge
   * membership and mutes at the stricter of this head and their own, and learn from it that a newer roster exists.
   */
  headEpoch: z.number().int().min(0).max(1_000_000),
  headHash: Hash32,
  sender: MemberId,
  keyId: OpaqueId,
  counter: z.number().int().min(0).max(2 ** 32 - 1),
  type: MessageType,
  /** Sender-stated lifetime in seconds, measured from arrival on each device's own clock. */
  ttl: z.number().int().min(1).max(7 * 24 * 3600),
});
export type MessageHeader = z.infer<typeof MessageHeader>;

export const Envelope = z.strictObject({
  header: MessageHeader,
  nonce: Nonce24,
  ct: b64Max(MAX_MESSAGE_CIPHERTEXT),
  sig: Signature,
});
export type Envelope = z.infer<typeof Envelope>;

/** Private to facilitators ("I'm struggling", a breach report): one crypto_box per facilitator session key. */
export const DirectBox = z.strictObject({
  v: V,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  from: MemberId,
  to: MemberId,
  nonce: Nonce24,
  box: b64Max(20_000),
});
export type DirectBox = z.infer<typeof DirectBox>;

/**
 * Member to member (protocol v2): roster entries one of them lacks, or a request for them, boxed from one session
 * key to another (peerBox.ts). The relay routes it to one present member and sees only opaque ids and ciphertext.
 */
export const PeerBox = z.strictObject({
  v: V2,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  from: MemberId,
  to: MemberId,
  nonce: Nonce24,
  box: b64Max(22_000),
});
export type PeerBox = z.infer<typeof PeerBox>;

// ---------- Rules acceptance ----------
export const AcceptanceBody = z.strictObject({
  v: V,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  member: MemberId,
  rulesDigest: Hash32,
  /** True when the member signed the confidentiality agreement the group asks for. */
  agreement: z.boolean(),
});
export type AcceptanceBody = z.infer<typeof AcceptanceBody>;
export const SignedAcceptance = z.strictObject({ body: AcceptanceBody, sig: Signature });
export type SignedAcceptance = z.infer<typeof SignedAcceptance>;

// ---------- Knock proof ----------
/** What a knocker signs with its invite's signing key: this knock, through this invite, with this acceptance. */
export const KnockProofBody = z.strictObject({
  v: V2,
  groupId: OpaqueId,
  sessionId: OpaqueId,
  member: MemberId,
  sessionPk: X25519PublicKey,
  inviteId: OpaqueId,
  /** acceptanceHash of the signed acceptance the knock carries. */
  acceptance: Hash32,
});
export type KnockProofBody = z.infer<typeof KnockProofBody>;
export const SignedKnockProof = z.strictObject({ body: KnockProofBody, sig: Signature });
export type SignedKnockProof = z.infer<typeof SignedKnockProof>;

// ---------- Identity key at rest ----------
/**
 * An identity key wrapped at rest (IndexedDB): the 32-byte Ed25519 seed under XChaCha20-Poly1305 with a key from
 * Argon2id13 (crypto_pwhash). The bounds are the absolute ones libsodium accepts, capped so that a damaged or
 * hostile record cannot make the client allocate more than 1 GiB; the production minimum is enforced by
 * unwrapIdentity (docs/PROTOCOL.md part A).
 */
export const WrappedIdentity = z.strictObject({
  v: V,
  alg: z.literal('argon2id13'),
  opslimit: z.number().int().min(1).max(10),
  memlimit: z.number().int().min(8192).max(1024 * 1024 * 1024),
  salt: b64Bytes(16),
  nonce: Nonce24,
  /** The identity public key (member id), bound into the associated data and checked against the unwrapped seed. */
  publicKey: MemberId,
  /** Ciphertext of the 32-byte seed plus the 16-byte Poly1305 tag. */
  ct: b64Bytes(48),
});
export type WrappedIdentity = z.infer<typeof WrappedIdentity>;
