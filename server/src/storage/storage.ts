/**
 * What the relay keeps across restarts, behind one interface: groups, their signed roster chains (which carry
 * admissions, removals, bans, roles, mutes, locks and sessions), invites (gate hash and encrypted card).
 * Only ciphertext and opaque ids: no message ever touches storage. Implemented with Kysely over SQLite (the
 * embedded default) and PostgreSQL (several relay nodes), with the same migrations.
 */
import type { EncryptedGroupCard, SignedRosterEntry } from '@kindred/shared/protocol';

export interface StoredInvite {
  groupId: string;
  inviteId: string;
  gateHash: string;
  card: EncryptedGroupCard;
  createdBy: string;
  revoked: boolean;
}

export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  /** Applies pending migrations; idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Creates the group with its genesis entry (epoch 0). Throws KindredError('CONFLICT') if the group exists. */
  createGroup(input: { groupId: string; creator: string; genesis: SignedRosterEntry; genesisHash: string }): Promise<void>;
  groupExists(groupId: string): Promise<boolean>;
  /**
   * Appends one verified entry. Throws KindredError('CONFLICT') if an entry at that epoch exists already, so two
   * relay nodes can never both append at one epoch (the unique key is the arbiter).
   */
  appendRosterEntry(input: { groupId: string; epoch: number; hash: string; entry: SignedRosterEntry }): Promise<void>;
  /** Entries with epoch > sinceEpoch, in epoch order. */
  getRosterEntries(groupId: string, sinceEpoch: number): Promise<SignedRosterEntry[]>;
  putInvite(invite: Omit<StoredInvite, 'revoked'>): Promise<void>;
  getInvite(groupId: string, inviteId: string): Promise<StoredInvite | undefined>;
  /** Replaces the card a live (unrevoked) invite serves; true if there was one. */
  replaceInviteCard(groupId: string, inviteId: string, card: EncryptedGroupCard): Promise<boolean>;
  /** True if an invite was revoked by this call. */
  revokeInvite(groupId: string, inviteId: string): Promise<boolean>;
  /** Resolves when the database answers a trivial query (GET /healthz); rejects otherwise. */
  ping(): Promise<void>;
}
