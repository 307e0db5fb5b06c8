/**
 * The vault the web client gives the engine: the device vault when the identity in use is the one kept (wrapped) in
 * this browser, nothing at all for a one-off key (whose groups live only as long as the tab). The check is made when
 * the engine first needs the vault and again on each save until the key is kept, so a one-off key saved mid-session
 * ("keep this key") starts keeping its rosters from then on.
 */
import { memberIdOf, type IdentityKeyPair, type RosterStorage, type SerializedRoster } from '@kindred/shared/crypto';
import type { KeyStore } from '../identity/keyStore';
import { DeviceVault, type VaultBackend } from './deviceVault';

export interface KeptKeyVault extends RosterStorage {
  /** The opened vault when the key is kept, else null. */
  vault(): Promise<DeviceVault | null>;
}

export function keptKeyVault(identity: IdentityKeyPair, keyStore: KeyStore, backend: VaultBackend): KeptKeyVault {
  const me = memberIdOf(identity.publicKey);
  let opened: Promise<DeviceVault> | null = null;
  const vault = async (): Promise<DeviceVault | null> => {
    if (opened) return opened;
    const wrapped = await keyStore.load().catch(() => null);
    if (wrapped?.publicKey !== me) return null;
    opened = DeviceVault.open(identity, backend);
    return opened;
  };
  return {
    vault,
    async loadRoster(groupId: string) {
      return (await vault())?.loadRoster(groupId);
    },
    async saveRoster(groupId: string, data: SerializedRoster) {
      await (await vault())?.saveRoster(groupId, data);
    },
  };
}
