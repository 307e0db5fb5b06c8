/**
 * The vault's one IndexedDB record, beside the wrapped identity in this browser's store (identity/keyStore.ts). Only
 * the sealed form (SealedVault: a version, a nonce, a padded ciphertext) is ever written.
 */
import { SealedVault } from '@kindred/shared/protocol';
import { VAULT_RECORD_KEY, withStore } from '../identity/keyStore';
import type { VaultBackend } from './deviceVault';

export const indexedDbVaultBackend: VaultBackend = {
  async load() {
    if (typeof indexedDB === 'undefined') return undefined;
    return withStore<unknown>('readonly', (s) => s.get(VAULT_RECORD_KEY));
  },
  async save(record) {
    if (typeof indexedDB === 'undefined') return;
    const checked = SealedVault.parse(record);
    await withStore('readwrite', (s) => s.put(checked, VAULT_RECORD_KEY));
  },
};
