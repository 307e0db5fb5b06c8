/** The identity operations the web client needs from shared/src/crypto, behind an interface so tests can script them. */
import type { IdentityKeyPair } from '@kindred/shared/crypto';
import type { WrappedIdentity } from '@kindred/shared/protocol';

export interface IdentityCrypto {
  ready(): Promise<void>;
  generate(): IdentityKeyPair;
  /** Argon2id + XChaCha20-Poly1305 (shared/src/crypto/identityWrap.ts); slow on purpose. */
  wrap(ik: IdentityKeyPair, passphrase: string): WrappedIdentity;
  /** Throws KindredError('UNWRAP_FAILED') on a wrong passphrase. */
  unwrap(wrapped: WrappedIdentity, passphrase: string): IdentityKeyPair;
  wipe(ik: IdentityKeyPair): void;
  /** The 32-byte seed of a key, and the key from it: a one-off key kept in the tab's sessionStorage for a reload. */
  seedOf(ik: IdentityKeyPair): Uint8Array;
  fromSeed(seed: Uint8Array): IdentityKeyPair;
}
