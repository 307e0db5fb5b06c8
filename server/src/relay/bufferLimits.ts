/** The bounds of what a live session keeps for devices that reconnect (session logs, the text log in memory). */
export interface BufferLimits {
  /** How long buffered ciphertext and away markers last; 0 keeps nothing. */
  ttlMs: number;
  /** Most messages kept per session, and most sealed keys per recipient. */
  maxItems: number;
  /** Most bytes of envelope JSON kept per session (in memory: of the native chunks that hold them). */
  maxBytes: number;
}
