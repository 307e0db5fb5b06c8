/**
 * Where a device keeps its groups between runs, beside their verified rosters (RosterStorage): what it needs to
 * reopen a group without an invite link (the creator's fingerprint, the verified card, the invite secrets it may use)
 * and its name for a list of groups. The web client gives the device vault (client/src/vault), sealed at rest; the
 * engine does no I/O of its own and checks what it loads as it checks the relay's word (the chain is verified again
 * from genesis, the card against that roster).
 */
import type { VaultGroup } from '@kindred/shared/protocol';

/** One kept group (the vault's record of it, without the roster chain, which comes through RosterStorage). */
export type StoredGroup = Omit<VaultGroup, 'roster'>;

export interface GroupStorage {
  /** The kept groups, most recently used first. */
  listGroups(): Promise<StoredGroup[]>;
  loadGroup(groupId: string): Promise<StoredGroup | undefined>;
  /** Updates a group whose roster is kept (ignored otherwise). `invite.secret` is base64url. */
  rememberGroup(groupId: string, patch: { name?: string; card?: StoredGroup['card']; invite?: { inviteId: string; secret: string } }): Promise<void>;
}
