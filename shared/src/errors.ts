/**
 * The one catalogue of error codes, shared by the crypto, the relay and the clients. A code names what happened;
 * `errorSentence` gives the plain sentence a person or a client developer reads. Clients receive a code and a
 * sentence, never a stack.
 */
export const ERROR_SENTENCES = {
  // Input and transport
  BAD_REQUEST: 'The request did not match the expected format.',
  UNKNOWN_EVENT: 'That event does not exist.',
  PAYLOAD_TOO_LARGE: 'The payload is larger than the relay accepts.',
  RATE_LIMITED: 'Too many requests in a short time; wait a moment and try again.',
  INTERNAL: 'Something went wrong on the relay; the request was not applied.',
  UNAVAILABLE: 'The relay did not answer in time; check the connection and try again.',
  NOT_FOUND: 'That group, invite or session does not exist.',
  CONFLICT: 'That was changed by someone else first; refresh and try again.',
  // Authentication and authorization
  UNAUTHENTICATED: 'Sign in with your identity key before doing this.',
  AUTH_FAILED: 'The identity key signature did not verify.',
  AUTH_EXPIRED: 'The sign-in challenge expired; request a new one.',
  FORBIDDEN: 'You are not allowed to do that in this group.',
  NOT_FACILITATOR: 'Only a facilitator can do that.',
  NOT_MEMBER: 'Only members of this group can do that.',
  BANNED: 'This key has been banned from the group.',
  INVITE_INVALID: 'This invite link is not valid or has been revoked.',
  SESSION_LOCKED: 'The session is locked to new arrivals.',
  SESSION_NOT_OPEN: 'There is no session open in this group right now.',
  MUTED: 'A facilitator has muted you; your message was not sent.',
  SLOW_MODE: 'Slow mode is on; wait before sending another message.',
  TOO_MANY_CONNECTIONS: 'This member has too many connections to the session; close one and try again.',
  NOT_YOUR_TURN: 'A talking-stick round is running and it is not your turn.',
  // Malformed protocol objects
  MALFORMED: 'A protocol object was malformed.',
  BAD_VERSION: 'A protocol object has an unsupported version.',
  BAD_LENGTH: 'A key, nonce or signature has the wrong length.',
  // Signatures and keys
  BAD_SIGNATURE: 'A signature did not verify.',
  WRONG_KEY: 'The message was not encrypted for this key.',
  DECRYPT_FAILED: 'A ciphertext failed authentication and was discarded.',
  UNWRAP_FAILED: 'The passphrase is wrong or the stored key is damaged.',
  FINGERPRINT_MISMATCH: "The group's creator key does not match the invite link.",
  SESSION_KEY_UNSIGNED: "A session key is not signed by its member's identity key.",
  // Roster chain
  ROSTER_BAD_SIGNER: 'A roster entry is not signed by a facilitator of the previous roster.',
  ROSTER_BAD_PREV_HASH: 'A roster entry does not follow the roster it claims to extend.',
  ROSTER_SKIPPED_EPOCH: 'A roster entry skips an epoch.',
  ROSTER_ROLLBACK: 'A roster older than the one already accepted was offered (rollback).',
  ROSTER_FORK: 'Two different rosters claim the same epoch (fork).',
  ROSTER_BAD_OP: 'A roster entry describes a change that is not allowed in the current state.',
  ROSTER_WRONG_GROUP: 'A roster entry belongs to another group.',
  // Messages
  SENDER_NOT_IN_ROSTER: 'The sender is not a member of the roster.',
  SENDER_MUTED: 'The sender is muted; the message was ignored.',
  REPLAY: 'This message was already received (replay).',
  COUNTER_TOO_FAR: 'The message counter jumps further ahead than allowed.',
  COUNTER_TOO_OLD: 'The message key for this counter is no longer kept.',
  UNKNOWN_SENDER_KEY: 'No sender key is known for this message.',
  STALE_EPOCH: 'The message uses a sender key from an epoch that has ended.',
  WRONG_SESSION: 'The message belongs to another group or session.',
  EXPIRED: 'The message has already expired.',
  KEY_REPLAY: 'A sender key or session key older than one already received was offered again (replay).',
  KEY_LIMIT: 'A member sent more sender keys in this session than a device keeps track of; further keys from it are refused.',
  EPOCH_AHEAD: 'The message uses a roster epoch this device has not verified yet; it is kept until the roster catches up.',
  HEAD_AHEAD: 'The sender holds a newer roster than this device; the message is kept until this device has verified it.',
  HEAD_TOO_OLD: "The sender states a roster too far behind this device's to judge its message; it was refused.",
  ROSTER_WITHHELD: 'The server may be withholding changes to this group: a newer roster exists that this device could not obtain. Sending is paused until it arrives.',
  HEAD_NOT_ACKNOWLEDGED: 'Some members have not confirmed the latest change to the group; the server may be withholding it from them.',
  // Protocol version
  CLIENT_OUTDATED: 'This app is out of date for this relay; reload the page to update it.',
  RELAY_OUTDATED: 'The relay speaks another protocol version than this app; it cannot be used until it is updated.',
  // Knocks
  KNOCK_UNPROVEN: 'A knock carries no valid proof that the knocker holds an invite of this group; it was not shown.',
  INVITE_UNKNOWN: "A knock names an invite that is not in the group's verified roster; it was not shown.",
  INVITE_REVOKED: 'A knock came through an invite that a facilitator revoked; it was not shown.',
  // Rules acceptance
  RULES_NOT_ACCEPTED: 'The current ground rules were not accepted for this session.',
} as const;

export type ErrorCode = keyof typeof ERROR_SENTENCES;

export const ERROR_CODES = Object.keys(ERROR_SENTENCES) as ErrorCode[];

export function errorSentence(code: ErrorCode): string {
  return ERROR_SENTENCES[code];
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_SENTENCES, value);
}

/** The one error class: its `code` narrows what happened; `cause` keeps the underlying error for logs. */
export class KindredError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C;
  constructor(code: C, detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${ERROR_SENTENCES[code]} (${detail})` : ERROR_SENTENCES[code], options);
    this.name = 'KindredError';
    this.code = code;
  }
  /** What a peer may see: the code and the sentence, no detail, no stack. */
  toWire(): { code: C; message: string } {
    return { code: this.code, message: ERROR_SENTENCES[this.code] };
  }
}

export function isKindredError(e: unknown, code?: ErrorCode): e is KindredError {
  return e instanceof KindredError && (code === undefined || e.code === code);
}
