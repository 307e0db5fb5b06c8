/**
 * Turns anything thrown by the engine into what a person reads: what happened and what to do. Codes come from the
 * one catalogue (shared/src/errors.ts); the advice is the web client's own, in plain language.
 */
import { isErrorCode, isKindredError, errorSentence, type ErrorCode } from '@kindred/shared/errors';

export interface UserError {
  code: ErrorCode;
  /** What happened. */
  what: string;
  /** What to do about it. */
  todo: string;
}

const ADVICE: Partial<Record<ErrorCode, string>> = {
  INVITE_INVALID: 'Ask the facilitator for a new invite link.',
  NOT_FOUND: 'Check that you opened the whole link, or ask the facilitator for a new one.',
  FINGERPRINT_MISMATCH: 'Do not continue. Tell the facilitator by another channel; the link may have been tampered with.',
  BAD_SIGNATURE: 'Do not continue. Tell the facilitator by another channel.',
  DECRYPT_FAILED: 'Check that you opened the whole link, or ask the facilitator for a new one.',
  UNWRAP_FAILED: 'Check your passphrase and try again, or join as a one-off visit.',
  SESSION_LOCKED: 'The facilitator has closed the door for now. You can ask them by another channel to let you in.',
  SESSION_NOT_OPEN: 'Wait until the facilitator opens the session, then try again.',
  MUTED: 'You can still read, raise your hand and write to the facilitators privately.',
  SLOW_MODE: 'Your message is still in the box; send it again in a few seconds.',
  NOT_YOUR_TURN: 'Your message is still in the box; send it when the talking stick reaches you.',
  BANNED: 'You cannot rejoin this group.',
  RATE_LIMITED: 'Wait a moment, then try again.',
  EXPIRED: 'It waited to be sent for longer than this group keeps messages, so it was not sent. Write it again if it still matters.',
  RULES_NOT_ACCEPTED: 'Read and accept the ground rules for this session first.',
  NOT_FACILITATOR: 'Only a facilitator can do that.',
  ROSTER_ROLLBACK: 'Do not continue: the server may be hiding recent changes to this group. Tell the facilitator by another channel.',
  ROSTER_FORK: 'Do not continue: the server may be showing you a list of members others do not see. Tell the facilitator by another channel.',
  BAD_VERSION: 'This link or record was made by another version of Kindred: ask the facilitator for a new invite link.',
  INTERNAL: 'Try again in a moment. If it keeps happening, tell the facilitator by another channel.',
};

const DEFAULT_TODO = 'Try again. If it keeps happening, tell the facilitator by another channel.';

export function toUserError(e: unknown): UserError {
  let code: ErrorCode = 'INTERNAL';
  if (isKindredError(e)) code = e.code;
  else if (typeof e === 'object' && e !== null && 'code' in e && isErrorCode((e as { code: unknown }).code)) {
    code = (e as { code: ErrorCode }).code;
  }
  return { code, what: errorSentence(code), todo: ADVICE[code] ?? DEFAULT_TODO };
}
