/** The device vault of a kept key (for the web client's engine factory, and for tests that restart a kept-key client). */
export { DeviceVault, memoryVaultBackend } from './deviceVault';
export type { VaultBackend } from './deviceVault';
export { keptKeyVault } from './keptKeyVault';
export type { KeptKeyVault } from './keptKeyVault';
export { memoryKeyStore } from '../identity/keyStore';
