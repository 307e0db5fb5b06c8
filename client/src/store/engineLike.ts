/**
 * What the web client needs from the session engine (client/src/engine, a framework-free KindredClient). The stores
 * are written against this interface so that the React side can be built and tested before, and independently of,
 * the engine; `engineAdapter.ts` is the one place that maps the real engine onto it.
 *
 * Everything here is plaintext held in memory only. Nothing in this interface is persisted by the web client.
 */
import type { Role, RoundKind } from '@kindred/shared/protocol';

export type { Role, RoundKind };

/** The group card as decrypted in the browser (GroupCardBody without the signature plumbing). */
export interface CardView {
  groupId: string;
  name: string;
  groundRules: string;
  codeOfConduct: string;
  confidentialityLimits: string;
  crisisResources: string;
  expirySeconds: number;
  requireSignedAgreement: boolean;
}

export interface MemberView {
  memberId: string;
  /** The pseudonym the member chose for this session; may be empty until it arrives (encrypted) from them. */
  displayName: string;
  role: Role;
  muted: boolean;
  present: boolean;
  typing: boolean;
  handRaised: boolean;
  /** True once this device has compared safety numbers with the member and marked them verified. */
  verified: boolean;
}

export interface ChatMessageView {
  id: string;
  sender: string;
  text: string;
  /** Local clock, ms since epoch: when it arrived on this device (or was sent from it). */
  receivedAt: number;
  /** Local clock, ms since epoch: when it is deleted from this device. */
  expiresAt: number;
}

/** A line the group sees about a change: expiry, roster, key, moderation. Never silent. */
export interface NoticeView {
  id: string;
  at: number;
  kind: 'expiry' | 'roster' | 'key' | 'moderation' | 'session' | 'round';
  text: string;
}

export interface KnockView {
  memberId: string;
  displayName: string;
  /** The member signed the confidentiality agreement (the signature was verified by the engine). */
  signedAgreement: boolean;
}

export interface RoundView {
  kind: RoundKind;
  /** Whose turn it is; null when the round is over. */
  holder: string | null;
  /** Members still to speak, in order (holder first). */
  queue: string[];
}

export type DirectKind = 'struggling' | 'breach-report';
export interface DirectView {
  id: string;
  from: string;
  kind: DirectKind;
  text: string;
  at: number;
}

export interface TalkShareView {
  memberId: string;
  messages: number;
  chars: number;
}

export interface InviteView {
  inviteId: string;
  /** The URL fragment (after `#/join/`): holds the invite secret; never sent to any server. */
  fragment: string;
  revoked: boolean;
}

export type EnginePhase =
  | 'idle' // nothing open
  | 'card' // an invite was opened and its card verified; rules not yet accepted for this session
  | 'accepted' // rules accepted for the open session; about to enter
  | 'no-session' // rules are known but no session is open yet
  | 'entering'
  | 'waiting' // in the waiting room
  | 'in-session'
  | 'closed'; // the session ended or this member was removed: everything of it is wiped

export interface SessionView {
  sessionId: string;
  locked: boolean;
  slowModeSeconds: number;
  muteAllButFacilitators: boolean;
  expirySeconds: number;
}

export interface EngineSnapshot {
  phase: EnginePhase;
  /** This device's member id (identity public key, base64url); null before an identity exists. */
  me: string | null;
  myRole: Role | null;
  card: CardView | null;
  session: SessionView | null;
  /** Why the last session was closed for this member, when phase is 'closed'. */
  closedReason: 'ended' | 'removed' | 'banned' | 'left' | null;
  roster: MemberView[];
  messages: ChatMessageView[];
  notices: NoticeView[];
  waiting: KnockView[];
  hands: string[];
  round: RoundView | null;
  directs: DirectView[];
  talkShare: TalkShareView[];
  invites: InviteView[];
  /** A short code the whole group can compare out of band: equal codes mean an equal roster. */
  epochCode: string | null;
  /** The link to the relay: 'reconnecting' after a network blip (the engine resumes by itself). */
  connection: 'connecting' | 'ready' | 'reconnecting';
}

/** The card the facilitator writes (its group id is made when the group is), and the facilitator's own name. */
export interface CreateGroupInput extends Omit<CardView, 'groupId'> {
  displayName: string;
}

export type SignalInput =
  | { type: 'typing'; on: boolean }
  | { type: 'hand'; raised: boolean }
  | { type: 'round-start'; kind: RoundKind; order: string[] }
  | { type: 'round-pass'; to?: string }
  | { type: 'round-end' };

export interface SafetyNumberView {
  /** Groups of five digits, identical on both devices. */
  digits: string;
  /** What the QR code encodes (the same value, machine-readable). */
  qrPayload: string;
}

/** The engine's surface the stores use. Every method may throw a KindredError (code from shared/src/errors.ts). */
export interface EngineLike {
  getState(): EngineSnapshot;
  subscribe(listener: () => void): () => void;

  createGroup(input: CreateGroupInput): Promise<void>;
  createInvite(): Promise<InviteView>;
  revokeInvite(inviteId: string): Promise<void>;
  openInvite(fragment: string): Promise<void>;
  /** Accept the current rules for the session about to be entered; `agreement` signs the confidentiality agreement. */
  acceptRules(agreement: boolean): Promise<void>;
  enter(displayName: string): Promise<void>;
  openSession(): Promise<void>;
  closeSession(): Promise<void>;

  admit(memberId: string): Promise<void>;
  deny(memberId: string): Promise<void>;
  mute(memberId: string): Promise<void>;
  unmute(memberId: string): Promise<void>;
  muteAll(on: boolean): Promise<void>;
  remove(memberId: string): Promise<void>;
  ban(memberId: string): Promise<void>;
  promote(memberId: string): Promise<void>;
  lock(on: boolean): Promise<void>;
  slowMode(seconds: number): Promise<void>;
  expiry(seconds: number): Promise<void>;

  send(text: string): Promise<void>;
  sendSignal(signal: SignalInput): Promise<void>;
  sendDirect(kind: DirectKind, text: string): Promise<void>;

  safetyNumber(memberId: string): SafetyNumberView;
  markVerified(memberId: string): void;
  /** Leaves the "session closed" screen (a facilitator going back to the group to open another session). */
  acknowledgeClosed(): void;

  /** Erase every key and plaintext of the session from memory and disconnect. Synchronous: quick exit waits on nothing. */
  wipe(): void;
}

export const EMPTY_SNAPSHOT: EngineSnapshot = Object.freeze({
  phase: 'idle',
  me: null,
  myRole: null,
  card: null,
  session: null,
  closedReason: null,
  roster: [],
  messages: [],
  notices: [],
  waiting: [],
  hands: [],
  round: null,
  directs: [],
  talkShare: [],
  invites: [],
  epochCode: null,
  connection: 'connecting',
}) as EngineSnapshot;
