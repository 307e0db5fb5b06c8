/**
 * Random bytes for the message hot path: the platform CSPRNG read in one call (see `randomBytes` in sodium.ts for
 * why libsodium.js's own `randombytes_buf` is only the fallback). Kept as a name of its own for the modules that
 * import it.
 */
export { randomBytes as csprngBytes } from './sodium';
