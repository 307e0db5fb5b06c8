/**
 * The engine's public state: one immutable snapshot, replaced (never mutated) on every change, so that a store
 * (zustand) or a test can compare snapshots by reference. The reducers here are pure functions of (state, input):
 * the client class (kindredClient.ts) feeds them what it has verified and decrypted; nothing here does I/O or
 * reads a clock.
 *
 * Nothing in the state is secret key material: keys live inside the client object and are wiped there. Plaintext
 * (message text, names, the card) is here, in memory only, and is removed at expiry and at the session's end.
 */
import type { ConnectionStatus } from './connection';
import type { ErrorCode } from '@kindred/shared/errors';
import type { GroupCardBody, MessageRef, Role, RosterOp, RosterPolicy, RoundKind } from '@kindred/shared/protocol';
import type { RosterState } from '@kindred/shared/crypto';

/** A chat message as the UI shows it. Removed from the state at `expiresAt` (local clock) or the session's end. */
export interface ChatMessage {
  /**
   * `${sender}:${keyId}:${counter}`: unique in a session; what `replyTo` points at. A message of mine still waiting to
   * be sent has `${sender}:waiting:${clientId}` until the relay takes it.
   */
  id: string;
  /** The sender's random id inside the encrypted content (absent from older senders): one message shown once. */
  clientId?: string;
  /** Mine, written but not yet taken by the relay (offline, or re-entering): shown as "waiting to send". */
  waiting?: true;
  sender: string;
  text: string;
  replyTo?: MessageRef;
  /** Local clock when this device received (or sent) it. */
  receivedAt: number;
  /** receivedAt + min(header ttl, roster policy expiry), in ms. */
  expiresAt: number;
  own: boolean;
}

export function messageId(ref: MessageRef): string {
  return `${ref.sender}:${ref.keyId}:${ref.counter}`;
}

export interface Knocker {
  member: string;
  /** The rules digest the knocker signed, and whether it signed the confidentiality agreement. */
  agreement: boolean;
  rulesDigest: string;
  /** False when the knocker accepted an earlier revision of the card (an older invite still serves it). */
  currentRules: boolean;
  /** The pseudonym the knocker introduced itself with (introductions.ts), once its introduction arrived. */
  name?: string;
  /**
   * The invite the knock came through, proven by the knocker's signature with that invite's key (checked against
   * the verified roster); `label` when this device made the invite.
   */
  invite: { id: string; label?: string };
}

export interface Round {
  id: string;
  kind: RoundKind;
  order: string[];
  /** Index in `order` of who holds the stick; null once everyone has spoken. */
  current: number | null;
  startedBy: string;
}

/** Messages and characters a member sent in this session (talk share is derived from these). */
export interface TalkCount {
  messages: number;
  characters: number;
}

/** A private note to the facilitators. Removed at `expiresAt` (local clock) or the session's end, as messages are. */
export interface DirectNote {
  id: number;
  from: string;
  kind: 'struggling' | 'breach-report';
  text: string;
  receivedAt: number;
  /** receivedAt + the group policy's expiry, in ms (a note carries no ttl of its own). */
  expiresAt: number;
  /** The member's id for the note (what a read receipt names); absent in a note from an older client. */
  noteId?: string;
  /** When a facilitator marked it read, here or on another facilitator's device (a receipt went to the member); null until then. */
  readAt: number | null;
  /** Who marked it read: this device's member, or the co-facilitator whose `note-read` box said so. */
  readBy?: string;
}

/** A private note this member sent in this session, and whether a facilitator has said it was read. */
export interface SentNote {
  noteId: string;
  kind: 'struggling' | 'breach-report';
  sentAt: number;
  /** When the first read receipt from a facilitator arrived; null until then. */
  readAt: number | null;
}

/** What expires: a message or a direct note, removed from the state at `expiresAt`. */
export interface Expiring {
  receivedAt: number;
  expiresAt: number;
}

/**
 * A line of the session's change log, kept as data: the UI words it (with the names known when it is shown), so
 * the wording of a change lives in one place.
 */
export type SessionEvent = { id: number; at: number } & (
  | { kind: 'roster'; op: RosterOp; signer: string }
  | { kind: 'presence'; member: string; present: boolean }
  | { kind: 'warning'; code: ErrorCode; message: string }
  | { kind: 'joined' }
  /** A reloaded tab: `count` messages it showed before the reload were no longer held by the relay. */
  | { kind: 'history-gone'; count: number }
);

export interface SessionView {
  groupId: string;
  sessionId: string;
  status: 'waiting' | 'joined';
  messages: ChatMessage[];
  /** Members present in the session (verified session key), including me once joined. */
  present: string[];
  /** Pseudonyms members announced in this session ('profile' signals). */
  names: Record<string, string>;
  typing: string[];
  /** Raised hands in the order they were raised. */
  hands: string[];
  round: Round | null;
  knocks: Knocker[];
  talk: Record<string, TalkCount>;
  /** Facilitators only: private notes received in this session. */
  directs: DirectNote[];
  /** Members: the private notes I sent in this session (no text kept), with their read receipts. */
  sentNotes: SentNote[];
  /** The change log of this session (roster changes, arrivals and departures, security warnings); the last 200. */
  log: SessionEvent[];
  /**
   * A newer roster this device knows exists (a verified header or sealed key stated it) but has not obtained:
   * messages are held meanwhile; past the bound (`withheld`) the server may be withholding it and sending is paused.
   * Null when the device holds the newest roster it has seen stated (headSync.ts).
   */
  rosterGap: RosterGap | null;
  /** Facilitators: who present has acknowledged the last roster change I made (null before I make one). */
  rosterAcks: RosterAcks | null;
}

export interface RosterGap {
  epoch: number;
  /** When this device learned it was behind. */
  since: number;
  withheld: boolean;
}

export interface RosterAcks {
  /** The epoch of my change. */
  epoch: number;
  madeAt: number;
  /** Each member present when I made it (me excepted): acknowledged (stated a head at or after it), or overdue. */
  members: { member: string; acked: boolean; overdue: boolean }[];
}

export interface GroupView {
  groupId: string;
  /** The verified group card (rules screen); null until opened or created. */
  card: GroupCardBody | null;
  /** The verified roster state; null until the chain is loaded. */
  roster: RosterState | null;
  /** Short code of the roster head for out-of-band comparison. */
  epochCode: string | null;
  /** Session id whose rules I accepted (with this device's key); enter refuses any other. */
  acceptedSession: string | null;
}

export interface SecurityWarning {
  id: number;
  code: ErrorCode;
  /** A plain sentence, no secrets. */
  message: string;
  at: number;
}

/** An invite link made on this device (facilitators), to show and share again; dropped with the client. */
export interface InviteLink {
  inviteId: string;
  /** The URL fragment (after `#/join/`): it holds the invite secret and is never sent to any server. */
  fragment: string;
  revoked: boolean;
}

export type CloseReason = 'ended' | 'removed' | 'banned' | 'left';

/**
 * Where this device stands, for the screen to show (derived from the rest of the state by `phaseOf`):
 * idle (nothing open) · card (invite opened, rules of the open session not yet accepted) · accepted · no-session ·
 * entering · waiting (in the waiting room) · in-session · closed (the session ended for me, everything of it wiped).
 */
export type Phase = 'idle' | 'card' | 'accepted' | 'no-session' | 'entering' | 'waiting' | 'in-session' | 'closed';

/**
 * The link to the session as a person should see it. `offline` from the moment the connection drops until the
 * session is re-entered (a reconnected socket that has not re-entered still cannot send); presence shown meanwhile is
 * unknown. A re-entry that fails is retried with backoff: `failures` so far and when the next try is.
 */
export interface LinkView {
  offline: boolean;
  /** Local clock when the link was lost; null while online. */
  since: number | null;
  /** Re-entries that failed since the drop. */
  failures: number;
  /** Local clock of the next re-entry attempt after a failure; null when none is scheduled. */
  retryAt: number | null;
}

export const ONLINE: LinkView = Object.freeze({ offline: false, since: null, failures: 0, retryAt: null }) as LinkView;

export interface EngineState {
  me: string;
  connection: ConnectionStatus;
  link: LinkView;
  group: GroupView | null;
  session: SessionView | null;
  warnings: SecurityWarning[];
  /** Inbound pushes dropped because they failed validation. */
  invalidPushes: number;
  /** Derived: kept equal to `phaseOf(state)` on every change (engineContext.update). */
  phase: Phase;
  /** True while `enterSession` is in flight. */
  entering: boolean;
  /** Why the last session ended for this device, until another is entered or `acknowledgeClosed()`. */
  closedReason: CloseReason | null;
  /** Invite links made on this device. */
  invites: InviteLink[];
  /** Members whose safety number this device compared and marked as matching. */
  verified: string[];
}

export function initialState(me: string): EngineState {
  return {
    me,
    connection: 'idle',
    link: ONLINE,
    group: null,
    session: null,
    warnings: [],
    invalidPushes: 0,
    phase: 'idle',
    entering: false,
    closedReason: null,
    invites: [],
    verified: [],
  };
}

/** The phase the state is in. Until the open session's rules are accepted, nothing of the session is reachable. */
export function phaseOf(s: EngineState): Phase {
  const group = s.group;
  const roster = group?.roster ?? null;
  if (s.closedReason && !s.session) return 'closed';
  if (!group) return 'idle';
  if (s.session?.status === 'joined') return 'in-session';
  if (s.session?.status === 'waiting') return 'waiting';
  if (s.entering) return 'entering';
  if (roster?.session?.open) return group.acceptedSession === roster.session.id ? 'accepted' : 'card';
  return group.card ? 'no-session' : 'idle';
}

/** Appends a change-log line (bounded: a session keeps its last 200). */
export function addEvent(session: SessionView, event: SessionEvent): SessionView {
  return { ...session, log: [...session.log, event].slice(-200) };
}

export function emptySession(groupId: string, sessionId: string, status: SessionView['status']): SessionView {
  return {
    groupId,
    sessionId,
    status,
    messages: [],
    present: [],
    names: {},
    typing: [],
    hands: [],
    round: null,
    knocks: [],
    talk: {},
    directs: [],
    sentNotes: [],
    log: [],
    rosterGap: null,
    rosterAcks: null,
  };
}

// ---------- derived ----------

export interface TalkShare {
  member: string;
  messages: number;
  characters: number;
  /** Fractions of the session totals in [0, 1]; 0 when nobody has spoken. */
  messageShare: number;
  characterShare: number;
}

/** Talk share of every present member (silent ones included, at 0) and of anyone who spoke. */
export function talkShare(session: SessionView): TalkShare[] {
  const ids = new Set([...session.present, ...Object.keys(session.talk)]);
  let totalM = 0;
  let totalC = 0;
  for (const t of Object.values(session.talk)) {
    totalM += t.messages;
    totalC += t.characters;
  }
  return [...ids].sort().map((member) => {
    const t = session.talk[member] ?? { messages: 0, characters: 0 };
    return {
      member,
      messages: t.messages,
      characters: t.characters,
      messageShare: totalM === 0 ? 0 : t.messages / totalM,
      characterShare: totalC === 0 ? 0 : t.characters / totalC,
    };
  });
}

export function roleOf(roster: RosterState | null, member: string): Role | null {
  return roster?.members.find((m) => m.id === member)?.role ?? null;
}

export function isFacilitator(roster: RosterState | null, member: string): boolean {
  return roleOf(roster, member) === 'facilitator';
}

/** Expiry of a message in ms: the sender's ttl, capped by the group policy (the stricter wins). */
export function expiryMs(headerTtlSeconds: number, policy: RosterPolicy): number {
  return Math.min(headerTtlSeconds, policy.expirySeconds) * 1000;
}

// ---------- reducers ----------

/** Adds a message unless one with the same id is there (a replay is dropped silently); counts talk share. */
export function addMessage(session: SessionView, message: ChatMessage): SessionView {
  // The relay's copy of a message of mine still shown as waiting (a reloaded tab's replay): it went; it is sent now.
  const twin = message.waiting ? undefined : session.messages.find((m) => m.waiting && sameClientMessage(m, message));
  if (twin) return markSent(session, twin.id, message);
  if (session.messages.some((m) => m.id === message.id || sameClientMessage(m, message))) return session;
  const prev = session.talk[message.sender] ?? { messages: 0, characters: 0 };
  return {
    ...session,
    messages: [...session.messages, message],
    typing: session.typing.filter((m) => m !== message.sender),
    talk: {
      ...session.talk,
      [message.sender]: { messages: prev.messages + 1, characters: prev.characters + [...message.text].length },
    },
  };
}

function sameClientMessage(a: ChatMessage, b: ChatMessage): boolean {
  return a.clientId !== undefined && a.clientId === b.clientId && a.sender === b.sender;
}

/** My waiting message `pendingId` now taken by the relay: it keeps its place, under its final id. */
export function markSent(session: SessionView, pendingId: string, sent: Pick<ChatMessage, 'id' | 'receivedAt' | 'expiresAt'>): SessionView {
  if (!session.messages.some((m) => m.id === pendingId)) return session;
  return {
    ...session,
    messages: session.messages.map((m) => {
      if (m.id !== pendingId) return m;
      const { waiting: _sent, ...rest } = m;
      return { ...rest, id: sent.id, receivedAt: sent.receivedAt, expiresAt: sent.expiresAt };
    }),
  };
}

/** My waiting message `pendingId` refused for good: it leaves the log and the talk count. */
export function dropWaiting(session: SessionView, pendingId: string): SessionView {
  const m = session.messages.find((x) => x.id === pendingId);
  if (!m) return session;
  const prev = session.talk[m.sender] ?? { messages: 1, characters: [...m.text].length };
  return {
    ...session,
    messages: session.messages.filter((x) => x.id !== pendingId),
    talk: { ...session.talk, [m.sender]: { messages: Math.max(0, prev.messages - 1), characters: Math.max(0, prev.characters - [...m.text].length) } },
  };
}

/**
 * `items` with each expiry brought forward to receivedAt + `capMs` where that is sooner (a stricter group expiry
 * applies to what is already shown); the same array when nothing changes.
 */
export function capExpiry<T extends Expiring>(items: T[], capMs: number): T[] {
  const capped = items.map((m) => (m.receivedAt + capMs < m.expiresAt ? { ...m, expiresAt: m.receivedAt + capMs } : m));
  return capped.every((m, i) => m === items[i]) ? items : capped;
}

/** Drops the direct notes whose expiry has passed. */
export function expireDirects(session: SessionView, nowMs: number): SessionView {
  const kept = session.directs.filter((d) => d.expiresAt > nowMs);
  return kept.length === session.directs.length ? session : { ...session, directs: kept };
}

/** Drops the messages whose expiry has passed; talk counts stay (they are counts, not text). */
export function expireMessages(session: SessionView, nowMs: number): SessionView {
  const kept = session.messages.filter((m) => m.expiresAt > nowMs);
  return kept.length === session.messages.length ? session : { ...session, messages: kept };
}

export function setPresent(session: SessionView, member: string, present: boolean): SessionView {
  const has = session.present.includes(member);
  if (present === has) return session;
  if (present) return { ...session, present: [...session.present, member].sort() };
  return {
    ...session,
    present: session.present.filter((m) => m !== member),
    typing: session.typing.filter((m) => m !== member),
    hands: session.hands.filter((m) => m !== member),
  };
}

export function setTyping(session: SessionView, member: string, on: boolean): SessionView {
  const has = session.typing.includes(member);
  if (on === has) return session;
  return { ...session, typing: on ? [...session.typing, member] : session.typing.filter((m) => m !== member) };
}

export function setHand(session: SessionView, member: string, raised: boolean): SessionView {
  const has = session.hands.includes(member);
  if (raised === has) return session;
  return { ...session, hands: raised ? [...session.hands, member] : session.hands.filter((m) => m !== member) };
}

export function startRound(session: SessionView, round: Omit<Round, 'current'>): SessionView {
  return { ...session, round: { ...round, current: round.order.length > 0 ? 0 : null } };
}

/** Passes the stick to `to` (if in the order) or to the next in order; past the last, the round has no holder. */
export function passRound(session: SessionView, roundId: string, to?: string): SessionView {
  const r = session.round;
  if (!r || r.id !== roundId) return session;
  let next: number | null;
  if (to !== undefined) {
    const i = r.order.indexOf(to);
    if (i < 0) return session;
    next = i;
  } else {
    next = r.current === null || r.current + 1 >= r.order.length ? null : r.current + 1;
  }
  return { ...session, round: { ...r, current: next } };
}

export function endRound(session: SessionView, roundId: string): SessionView {
  return session.round?.id === roundId ? { ...session, round: null } : session;
}

/** Adds or replaces `knock.member`'s knock; a knock repeated by the relay keeps the name it was introduced with. */
export function addKnock(session: SessionView, knock: Knocker): SessionView {
  const name = knock.name ?? session.knocks.find((k) => k.member === knock.member)?.name;
  const added = name === undefined ? knock : { ...knock, name };
  return { ...session, knocks: [...session.knocks.filter((k) => k.member !== knock.member), added] };
}

/** Puts the introduced pseudonym on `member`'s knock, or takes it off (undefined); no change when it does not knock. */
export function nameKnock(session: SessionView, member: string, name: string | undefined): SessionView {
  if (!session.knocks.some((k) => k.member === member && k.name !== name)) return session;
  const named = (k: Knocker): Knocker => {
    if (name !== undefined) return { ...k, name };
    const { name: _dropped, ...rest } = k;
    return rest;
  };
  return { ...session, knocks: session.knocks.map((k) => (k.member === member ? named(k) : k)) };
}

/** Drops the knocks that came through `inviteId` (it was revoked: they can no longer be admitted through it). */
export function dropKnocksVia(session: SessionView, inviteId: string): SessionView {
  return session.knocks.some((k) => k.invite.id === inviteId) ? { ...session, knocks: session.knocks.filter((k) => k.invite.id !== inviteId) } : session;
}

export function removeKnock(session: SessionView, member: string): SessionView {
  return session.knocks.some((k) => k.member === member) ? { ...session, knocks: session.knocks.filter((k) => k.member !== member) } : session;
}
