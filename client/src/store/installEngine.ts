/** Installs the real engine and the identity crypto (called once by main.tsx). */
import { generateIdentity, initCrypto, unwrapIdentity, wipe as wipeBytes, wrapIdentity, type IdentityKeyPair } from '@kindred/shared/crypto';
import { KindredClient } from '../engine';
import { indexedDbKeyStore } from '../identity/keyStore';
import { keptKeyVault } from '../vault/keptKeyVault';
import { indexedDbVaultBackend } from '../vault/vaultRecord';
import { currentEngine, setEngineFactory } from './engineHost';
import { configureIdentity } from './identityStore';

export function installRealEngine(): void {
  configureIdentity({
    crypto: {
      ready: initCrypto,
      generate: generateIdentity,
      wrap: (ik, passphrase) => wrapIdentity(ik, passphrase),
      unwrap: (wrapped, passphrase) => unwrapIdentity(wrapped, passphrase),
      wipe: (ik: IdentityKeyPair) => wipeBytes(ik.secretKey),
    },
    keyStore: indexedDbKeyStore,
  });
  // The relay serves this page, so its origin is the relay's (the CSP allows connect-src 'self' only).
  // A kept key keeps its verified rosters in the device vault, so a relay serving an older one after a reload is refused.
  setEngineFactory((identity) => {
    const rosterStorage = keptKeyVault(identity, indexedDbKeyStore, indexedDbVaultBackend);
    return new KindredClient({ url: window.location.origin, identity, rosterStorage });
  });
  // The browser knows at once when the network is gone; the socket alone may notice only at its ping timeout.
  window.addEventListener('offline', () => currentEngine()?.connection.networkLost());
}
