/**
 * The vault the web client gives the engine (as its RosterStorage and GroupStorage): the device vault when the
 * identity in use is the one kept (wrapped) in this browser, nothing at all for a one-off key (whose groups live only
 * as long as the tab). The check is made when the engine first needs the vault and again on each later call until the
 * key is kept, so a one-off key kept mid-session ("keep this key") starts keeping its groups from then on.
 */
import { memberIdOf, type IdentityKeyPair, type RosterStorage, type SerializedRoster } from '@kindred/shared/crypto';
import type { GroupStorage, StoredGroup } from '../engine';
import type { KeyStore } from '../identity/keyStore';
import { DeviceVault, type VaultBackend } from './deviceVault';

export interface KeptKeyVault extends RosterStorage, GroupStorage {
  /** The opened vault when the key is kept, else null. */
  vault(): Promise<DeviceVault | null>;
}

export function keptKeyVault(identity: IdentityKeyPair, keyStore: KeyStore, backend: VaultBackend): KeptKeyVault {
  const me = memberIdOf(identity.publicKey);
  let opened: Promise<DeviceVault> | null = null;
  let checking: Promise<DeviceVault | null> | null = null;
  // Calls made while one check is under way share it, so one vault is ever opened (two would overwrite each other).
  const vault = (): Promise<DeviceVault | null> => {
    if (opened) return opened;
    checking ??= (async () => {
      const wrapped = await keyStore.load().catch(() => null);
      if (wrapped?.publicKey !== me) return null;
      opened ??= DeviceVault.open(identity, backend);
      return opened;
    })().finally(() => {
      checking = null;
    });
    return checking;
  };
  const withoutRoster = ({ roster: _roster, ...rest }: ReturnType<DeviceVault['groups']>[number]): StoredGroup => rest;
  return {
    vault,
    async loadRoster(groupId: string) {
      return (await vault())?.loadRoster(groupId);
    },
    async saveRoster(groupId: string, data: SerializedRoster) {
      await (await vault())?.saveRoster(groupId, data);
    },
    async listGroups() {
      return ((await vault())?.groups() ?? []).map(withoutRoster);
    },
    async loadGroup(groupId: string) {
      const g = (await vault())?.group(groupId);
      return g ? withoutRoster(g) : undefined;
    },
    async rememberGroup(groupId, patch) {
      await (await vault())?.rememberGroup(groupId, patch);
    },
  };
}
