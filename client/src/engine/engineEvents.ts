import type { ErrorCode } from '@kindred/shared/errors';
import type { RosterOp, SignalContent, GroupCardBody } from '@kindred/shared/protocol';
import type { ConnectionStatus } from './connection';
import type { ChatMessage, DirectNote, Knocker, SecurityWarning } from './state';

/** Typed events (`client.on(name, handler)`). Everything is also reflected in the state snapshot. */
export interface EngineEvents {
  connection: { status: ConnectionStatus };
  message: ChatMessage;
  'message.expired': { ids: string[] };
  signal: { from: string; content: SignalContent };
  /** A verified roster entry was applied; every change is announced, nothing changes silently. */
  'roster.change': { epoch: number; signer: string; op: RosterOp };
  /** The group's expiry policy changed (also a 'roster.change'). */
  'expiry.changed': { expirySeconds: number; by: string };
  'card.updated': { card: GroupCardBody };
  'security.warning': SecurityWarning;
  /** Background work failed for an ordinary reason (network, a relay refusal); nothing was forged. */
  error: { code: ErrorCode; context: string };
  knock: Knocker;
  'session.status': { sessionId: string; status: 'waiting' | 'joined' };
  /** The session ended for this device (closed, removed, banned, left); everything of it was wiped. */
  'session.closed': { sessionId: string; reason: 'ended' | 'removed' | 'banned' | 'left' };
  /**
   * What a reloaded tab would need of the session changed (`client.sessionSnapshot()` gives it), or, with a null
   * `sessionId`, the session was wiped: a caller that kept a snapshot deletes it now.
   */
  'session.snapshot': { sessionId: string | null };
  direct: DirectNote;
  presence: { member: string; present: boolean };
  rekeyed: { epoch: number; keyId: string };
}
