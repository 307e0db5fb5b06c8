/** Installs the real engine and the identity crypto (called once by main.tsx). */
import {
  generateIdentity,
  identityFromSeed,
  identitySeed,
  initCrypto,
  unwrapIdentity,
  wipe as wipeBytes,
  wrapIdentity,
  type IdentityKeyPair,
} from '@kindred/shared/crypto';
import { KindredClient } from '../engine';
import { indexedDbKeyStore } from '../identity/keyStore';
import { keptKeyVault } from '../vault/keptKeyVault';
import { indexedDbVaultBackend } from '../vault/vaultRecord';
import { currentEngine, setEngineFactory } from './engineHost';
import { configureIdentity } from './identityStore';
import { keepPlaceOfEachEngine } from './placeKeeper';

export function installRealEngine(): void {
  configureIdentity({
    crypto: {
      ready: initCrypto,
      generate: generateIdentity,
      wrap: (ik, passphrase) => wrapIdentity(ik, passphrase),
      unwrap: (wrapped, passphrase) => unwrapIdentity(wrapped, passphrase),
      wipe: (ik: IdentityKeyPair) => wipeBytes(ik.secretKey),
      seedOf: identitySeed,
      fromSeed: identityFromSeed,
    },
    keyStore: indexedDbKeyStore,
  });
  // The relay serves this page, so its origin is the relay's (the CSP allows connect-src 'self' only).
  // A kept key keeps its groups and their verified rosters in the device vault: a relay serving an older roster after a
  // reload is refused, and "My groups" reopens a group without a link.
  setEngineFactory((identity) => {
    const vault = keptKeyVault(identity, indexedDbKeyStore, indexedDbVaultBackend);
    return new KindredClient({ url: window.location.origin, identity, rosterStorage: vault, groupStorage: vault });
  });
  // While in a session, the tab keeps its place for a reload (its sessionStorage), and drops it with the session.
  keepPlaceOfEachEngine();
  // The browser knows at once when the network is gone; the socket alone may notice only at its ping timeout.
  window.addEventListener('offline', () => currentEngine()?.connection.networkLost());
}
