/** The protocol core: pure functions over libsodium, no I/O, no timers. Exact formats: docs/PROTOCOL.md. */
export { initCrypto, bytesEqual, randomBytes, wipe } from './sodium';
export { canonicalJson, canonicalBytes, labelled } from './canonical';
export { LABEL, KDF_CONTEXT } from './labels';
export type * from './types';
export { signObject, verifyObject, requireSignature, hashObject, hashObjectBytes, memberKey } from './signedObject';
