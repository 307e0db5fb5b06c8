/**
 * What a tab keeps of the session it is in, so that a reload brings it back as the same member (docs/PROTOCOL.md
 * part B, "Reload"): its own session key (the seed and generation that remake it), its acceptance, the sender keys
 * sealed to it (as the boxes it received, still sealed to that session key; its own chains sealed to itself), the
 * expiry of every chat message it showed, and its install record. It never travels: the web client keeps it in the
 * tab's sessionStorage for the session's length only, and these schemas check it when it is read back, because
 * storage is not trusted either.
 */
import { z } from 'zod';
import { b64Bytes, MAX_TEXT_LENGTH, MemberId, OpaqueId, X25519PublicKey } from './primitives';
import { SealedSenderKey, SignedAcceptance, SignedSessionKey } from './objects';
import { MAX_DISPLAY_NAME, MessageRef } from './content';

export const SESSION_SNAPSHOT_VERSION = 1 as const;
/** Sealed sender keys kept per sender (the chains a receive state keeps, MAX_CHAINS_PER_SENDER). */
export const MAX_KEPT_SEALED_PER_SENDER = 4;
/** Sealed sender keys kept in all (the oldest dropped beyond it). */
export const MAX_KEPT_SEALED = 1024;
/** Chat messages whose expiry is kept (the oldest dropped beyond it). */
export const MAX_KEPT_SHOWN = 2000;

/** Chat messages written and not yet sent (waiting for the connection) that a reload keeps, in the order written. */
export const MAX_KEPT_WAITING = 50;

const Count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/**
 * A chat message written while offline and not yet taken by the relay: after a reload it goes out once, under the same
 * client message id (receivers, and the tab itself, de-duplicate on it), or not at all once it has expired.
 */
export const WaitingToSend = z.strictObject({
  clientId: OpaqueId,
  text: z.string().min(1).max(MAX_TEXT_LENGTH),
  replyTo: MessageRef.optional(),
  writtenAt: Count,
  expiresAt: Count,
});
export type WaitingToSend = z.infer<typeof WaitingToSend>;

/** A sender key as received: the box, and the sender's signed session key that opens it (verified again on use). */
export const KeptSealedKey = z.strictObject({ sealed: SealedSenderKey, senderKey: SignedSessionKey });
export type KeptSealedKey = z.infer<typeof KeptSealedKey>;

export const SessionSnapshot = z.strictObject({
  v: z.literal(SESSION_SNAPSHOT_VERSION),
  groupId: OpaqueId,
  sessionId: OpaqueId,
  member: MemberId,
  /** The 32-byte seed of this device's session key (crypto_box_seed_keypair) and the key's generation. */
  seed: b64Bytes(32),
  generation: Count,
  acceptance: SignedAcceptance,
  sealed: z.array(KeptSealedKey).max(MAX_KEPT_SEALED),
  /** [message id, expiresAt on this device's clock]: a message shown once keeps its expiry when it comes back. */
  shown: z.array(z.tuple([z.string().min(1).max(200), Count])).max(MAX_KEPT_SHOWN),
  record: z.strictObject({
    floors: z.array(z.tuple([MemberId, OpaqueId, Count])).max(16_384),
    generations: z.array(z.tuple([MemberId, Count, X25519PublicKey])).max(2048),
  }),
  /** My chat messages still waiting to send (absent: none). */
  waiting: z.array(WaitingToSend).max(MAX_KEPT_WAITING).optional(),
});
export type SessionSnapshot = z.infer<typeof SessionSnapshot>;

/**
 * The web client's record of a tab's place (sessionStorage, one key): how to open the group again without the link (a
 * one-off key: an invite link's fragment; a kept key: the group id, which its device vault keeps), the pseudonym, the
 * one-off identity's seed (a kept key comes from the vault after unlocking, never from here), a facilitator's invite
 * links, and the session snapshot.
 * Written only while the tab is in a joined session; deleted with it and by the quick exit.
 */
export const TabPlace = z.strictObject({
  v: z.literal(SESSION_SNAPSHOT_VERSION),
  identitySeed: b64Bytes(32).optional(),
  group: z.union([z.strictObject({ fragment: z.string().min(1).max(200) }), z.strictObject({ groupId: OpaqueId })]),
  displayName: z.string().min(1).max(MAX_DISPLAY_NAME),
  /** A facilitator's live invite links made in this tab (their fragments), to share again after the reload. */
  invites: z.array(z.string().min(1).max(200)).max(16).optional(),
  session: SessionSnapshot,
});
export type TabPlace = z.infer<typeof TabPlace>;
