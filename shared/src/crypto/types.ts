/**
 * In-memory types of the crypto layer that are not wire objects (those are the zod schemas in
 * shared/src/protocol/objects.ts). Secrets are Uint8Array so that they can be wiped.
 */
import type { Role, RosterPolicy } from '../protocol/objects';

/** Ed25519 identity key pair (libsodium layout: 64-byte secret key). */
export interface IdentityKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

/** X25519 key pair for one member in one session; erased at the session's end. */
export interface SessionKeyPair {
  publicKey: Uint8Array;
  secretKey: Uint8Array;
}

export interface RosterMember {
  id: string;
  role: Role;
  muted: boolean;
}

/** The state a verified roster chain describes. Derived by applying entries; never taken from the relay. */
export interface RosterState {
  groupId: string;
  /** Epoch of the latest accepted entry. */
  epoch: number;
  /** Hash (base64url) of the latest accepted signed entry. */
  head: string;
  /** Identity key of the creator (genesis signer), the group's root of trust. */
  creator: string;
  /** Sorted by id. */
  members: RosterMember[];
  banned: string[];
  locked: boolean;
  policy: RosterPolicy;
  /** The open session, if any. */
  session: { id: string; open: boolean } | null;
  /** Epoch of the latest entry that forces a rekey (removal, leave, ban, session open or close). */
  rekeyEpoch: number;
  /** Live invites, oldest first (at most MAX_LIVE_INVITES): knocks through these are shown. */
  invites: RosterInvite[];
  /** The latest revoked invites, oldest first (at most MAX_REVOKED_INVITES): knocks through these are refused by name. */
  revokedInvites: RosterInvite[];
}

/** An invite recorded in the roster: its id and its public signing key (base64url). */
export interface RosterInvite {
  id: string;
  pk: string;
}
