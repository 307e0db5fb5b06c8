/**
 * The state every part of the engine shares (one instance per KindredClient): the snapshot and its listeners, the
 * verified group, the session's secrets, the entered flag, and the few operations on them that every part needs
 * (update, publishGroup, warnings, the require* guards, wiping the session). The feature modules (groupFlows,
 * rosterSync, sessionEntry, keyDistribution, messaging, signals, presence, directNotes) hold this context and
 * nothing of one another beyond the narrow collaborators they are given.
 */
import { epochCode, InstallRecord, type IdentityKeyPair, type RosterState, type RosterStorage, type RosterTracker, type signAcceptance } from '@kindred/shared/crypto';
import { KindredError, errorSentence, isKindredError, type ErrorCode } from '@kindred/shared/errors';
import type { SignedGroupCard } from '@kindred/shared/protocol';
import type { Connection } from './connection';
import { Emitter } from './emitter';
import type { EngineEvents } from './engineEvents';
import type { Clock } from './expiry';
import type { GroupStorage } from './groupStorage';
import type { SessionSecrets } from './sessionSecrets';
import { addEvent, initialState, phaseOf, type EngineState, type GroupView, type SecurityWarning, type SessionEvent, type SessionView } from './state';

/** What the engine keeps for the group beyond the snapshot: the tracker, the signed card, the invite. */
export interface GroupContext {
  groupId: string;
  tracker: RosterTracker;
  card: SignedGroupCard | null;
  /** Every card revision this device verified (older invites still serve older ones): knocks may accept any. */
  knownCards: SignedGroupCard[];
  /**
   * The invite this device came in by: non-members present the gate token to the relay and sign their knock with
   * the invite's signing key (derived from the invite secret; the secret itself is wiped once the link is read).
   */
  invite: { inviteId: string; gateToken: string; signingKey: IdentityKeyPair } | null;
  /** Invites this device made, by id, with the label the facilitator gave each (shown on knocks through them). */
  madeInvites: Map<string, string>;
  acceptance: ReturnType<typeof signAcceptance> | null;
}

export type Listener = (state: EngineState, previous: EngineState) => void;

export type CloseReason = EngineEvents['session.closed']['reason'];

/** The resolved options the modules read. */
export interface EngineSettings {
  me: string;
  identity: IdentityKeyPair;
  clock: Clock;
  connection: Connection;
  rosterStorage: RosterStorage | undefined;
  groupStorage: GroupStorage | undefined;
  displayName: string | undefined;
  rekeyAfterMs: number;
  typingTimeoutMs: number;
  eagerRekeyMaxPresent: number;
  requestTimeoutMs: number;
}

/** Codes that mean something was forged, tampered with, replayed out of bounds or inconsistent: shown to the person. */
const SECURITY_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'MALFORMED',
  'BAD_VERSION',
  'BAD_LENGTH',
  'BAD_SIGNATURE',
  'WRONG_KEY',
  'DECRYPT_FAILED',
  'FINGERPRINT_MISMATCH',
  'SESSION_KEY_UNSIGNED',
  'ROSTER_BAD_SIGNER',
  'ROSTER_BAD_PREV_HASH',
  'ROSTER_SKIPPED_EPOCH',
  'ROSTER_ROLLBACK',
  'ROSTER_FORK',
  'ROSTER_BAD_OP',
  'ROSTER_WRONG_GROUP',
  'SENDER_NOT_IN_ROSTER',
  'KEY_REPLAY',
  'KEY_LIMIT',
  'COUNTER_TOO_FAR',
  'COUNTER_TOO_OLD',
  'STALE_EPOCH',
  'WRONG_SESSION',
  'RULES_NOT_ACCEPTED',
  'NOT_FACILITATOR',
  'KNOCK_UNPROVEN',
  'INVITE_UNKNOWN',
  'INVITE_REVOKED',
]);

export class EngineContext {
  readonly me: string;
  readonly identity: IdentityKeyPair;
  readonly clock: Clock;
  readonly connection: Connection;
  readonly rosterStorage: RosterStorage | undefined;
  readonly groupStorage: GroupStorage | undefined;
  readonly rekeyAfterMs: number;
  readonly typingTimeoutMs: number;
  readonly eagerRekeyMaxPresent: number;
  readonly requestTimeoutMs: number;
  readonly events = new Emitter<EngineEvents>();
  readonly listeners = new Set<Listener>();
  displayName: string | undefined;
  state: EngineState;
  group: GroupContext | null = null;
  secrets: SessionSecrets | null = null;
  /** The highest roster epoch handed to rosterStorage (each epoch is saved once). */
  savedEpoch = -1;
  /**
   * What this device installed in the current session (installRecord.ts). It survives wipes of the session's secrets
   * (a relay's session.closed, a re-entry) and is dropped only when the verified roster no longer has that session
   * open, so a relay cannot reset it by forcing re-entries.
   */
  installRecord: InstallRecord | null = null;
  /** The generation of the last session key this device made (each new one is higher, see nextGeneration). */
  private lastGeneration = 0;
  closed = false;
  /** True once session.enter succeeded on the current socket (false again after any drop until resume re-enters). */
  entered = false;
  readonly enteredWaiters: (() => void)[] = [];
  private warningSeq = 0;
  private snapshotDue = false;
  private eventSeq = 0;
  /** What each module clears when the session is wiped (its timers), in registration order. */
  private readonly wipeHooks: (() => void)[] = [];

  constructor(settings: EngineSettings) {
    this.me = settings.me;
    this.identity = settings.identity;
    this.clock = settings.clock;
    this.connection = settings.connection;
    this.rosterStorage = settings.rosterStorage;
    this.groupStorage = settings.groupStorage;
    this.displayName = settings.displayName;
    this.rekeyAfterMs = settings.rekeyAfterMs;
    this.typingTimeoutMs = settings.typingTimeoutMs;
    this.eagerRekeyMaxPresent = settings.eagerRekeyMaxPresent;
    this.requestTimeoutMs = settings.requestTimeoutMs;
    this.state = initialState(this.me);
  }

  requireGroup(): GroupContext {
    if (this.closed) throw new KindredError('UNAVAILABLE', 'client closed');
    if (!this.group) throw new KindredError('NOT_FOUND', 'no group: create one or open an invite');
    return this.group;
  }

  requireRoster(): RosterState {
    const roster = this.requireGroup().tracker.state;
    if (!roster) throw new KindredError('NOT_FOUND', 'roster not loaded');
    return roster;
  }

  requireJoined(): SessionSecrets {
    if (!this.secrets || this.state.session?.status !== 'joined') throw new KindredError('SESSION_NOT_OPEN', 'not in a session');
    return this.secrets;
  }

  /**
   * True when the latest roster entry forces a rekey and the session is above eagerRekeyMaxPresent: each device then
   * makes its new chain only when it next speaks (keyDistribution.ts), so nothing may make every device speak at once
   * (headSync's acknowledgements wait for real messages instead).
   */
  lazyRekeyPending(roster: RosterState): boolean {
    return roster.rekeyEpoch === roster.epoch && (this.state.session?.present.length ?? 0) > this.eagerRekeyMaxPresent;
  }

  isPresent(member: string): boolean {
    return this.state.session?.present.includes(member) ?? false;
  }

  update(f: (s: EngineState) => EngineState): void {
    const prev = this.state;
    let next = f(prev);
    if (next === prev) return;
    const phase = phaseOf(next);
    if (phase !== next.phase) next = { ...next, phase };
    this.state = next;
    for (const l of [...this.listeners]) {
      try {
        l(next, prev);
      } catch (e) {
        console.error('kindred engine: state listener threw', e);
      }
    }
  }

  updateSession(f: (s: SessionView) => SessionView): void {
    this.update((s) => {
      if (!s.session) return s;
      const next = f(s.session);
      return next === s.session ? s : { ...s, session: next };
    });
  }

  /** Adds a line to the session's change log (nothing outside a session). */
  logEvent(event: SessionEvent extends infer E ? (E extends unknown ? Omit<E, 'id' | 'at'> : never) : never): void {
    const line = { ...event, id: ++this.eventSeq, at: this.clock.now() } as SessionEvent;
    this.updateSession((s) => addEvent(s, line));
  }

  publishGroup(): void {
    const g = this.group;
    if (!g) return;
    const roster = g.tracker.state;
    if (this.rosterStorage && g.tracker.epoch > this.savedEpoch) {
      this.savedEpoch = g.tracker.epoch;
      void g.tracker.save(this.rosterStorage).catch((e: unknown) => this.warnFromError(e, 'saving the roster'));
    }
    const view: GroupView = {
      groupId: g.groupId,
      card: g.card?.body ?? null,
      roster,
      epochCode: roster ? epochCode(roster.head) : null,
      acceptedSession: g.acceptance?.body.sessionId ?? null,
    };
    this.update((s) => ({ ...s, group: view }));
  }

  warn(code: ErrorCode, context: string): void {
    const warning: SecurityWarning = { id: ++this.warningSeq, code, message: `${errorSentence(code)} (${context})`, at: this.clock.now() };
    this.update((s) => ({ ...s, warnings: [...s.warnings, warning].slice(-100) }));
    this.logEvent({ kind: 'warning', code, message: warning.message });
    this.events.emit('security.warning', warning);
  }

  /**
   * A failure of background work: a security warning when it says something was forged, tampered with or
   * inconsistent (SECURITY_CODES); otherwise (network, relay refusals) an 'error' event only.
   */
  warnFromError(e: unknown, context: string): void {
    const code: ErrorCode = isKindredError(e) ? e.code : 'INTERNAL';
    if (SECURITY_CODES.has(code)) this.warn(code, context);
    else this.events.emit('error', { code, context });
  }

  /** Resolves once the session is re-entered after a reconnect; UNAVAILABLE if that takes longer than a request may. */
  whenEntered(): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const i = this.enteredWaiters.indexOf(done);
        if (i >= 0) this.enteredWaiters.splice(i, 1);
        reject(new KindredError('UNAVAILABLE', 'reconnecting to the session'));
      }, this.requestTimeoutMs);
      this.enteredWaiters.push(done);
    });
  }

  /** The install record of `sessionId`, made when this device first enters it. */
  recordFor(groupId: string, sessionId: string): InstallRecord {
    const r = this.installRecord;
    if (r && r.groupId === groupId && r.sessionId === sessionId) return r;
    this.installRecord = new InstallRecord(groupId, sessionId);
    return this.installRecord;
  }

  /**
   * The generation of a new session key: above the last one this engine made, and at least the wall clock in ms, so
   * that an app restarted with the same identity (a kept key, a reloaded tab) still makes a higher one without
   * storing anything.
   */
  nextGeneration(): number {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now());
    return this.lastGeneration;
  }

  /**
   * Resolves at the next entry into the session, or when the session is wiped (the caller checks which). No time
   * limit: what was written offline waits for the connection, however long, until the session is over.
   */
  untilEntered(): Promise<void> {
    if (this.entered || !this.secrets || this.secrets.wiped) return Promise.resolve();
    return new Promise((resolve) => this.enteredWaiters.push(resolve));
  }

  /** The session was entered (first time or again after a drop): whatever waited for it goes on. */
  markEntered(): void {
    this.entered = true;
    for (const w of this.enteredWaiters.splice(0)) w();
  }

  /**
   * What a reloaded tab would need changed (sessionSnapshot.ts): `session.snapshot` once, after the current turn, so a
   * burst of messages or keys costs the caller one save.
   */
  snapshotChanged(): void {
    if (this.snapshotDue) return;
    this.snapshotDue = true;
    queueMicrotask(() => {
      this.snapshotDue = false;
      if (!this.closed) this.events.emit('session.snapshot', { sessionId: this.secrets?.sessionId ?? null });
    });
  }

  /** Makes `secrets` the session's, telling the caller of each change a reload would need. */
  adoptSecrets(secrets: SessionSecrets): void {
    this.secrets = secrets;
    secrets.onKeptChange = () => this.snapshotChanged();
  }

  /** Registers what a module clears when the session is wiped (its timers and schedules). */
  onWipe(hook: () => void): void {
    this.wipeHooks.push(hook);
  }

  /** Wipes everything of the session: keys, receive state, plaintexts, timers, acceptance. */
  wipeSession(reason: CloseReason, announce: boolean): void {
    const secrets = this.secrets;
    const sessionId = secrets?.sessionId ?? this.state.session?.sessionId;
    secrets?.wipe();
    this.secrets = null;
    const open = this.group?.tracker.state?.session;
    const record = this.installRecord;
    if (record && !(open?.open && open.id === record.sessionId && this.group?.groupId === record.groupId)) this.installRecord = null;
    for (const hook of this.wipeHooks) hook();
    for (const w of this.enteredWaiters.splice(0)) w(); // waiters see the wiped secrets and stop
    if (this.group) this.group.acceptance = null;
    this.publishGroup();
    this.update((s) => (s.session || (announce && sessionId) ? { ...s, session: null, ...(announce && sessionId ? { closedReason: reason } : {}) } : s));
    // At once, not after the turn: whatever a caller kept of the session goes with it, before anything else runs.
    if (secrets) this.events.emit('session.snapshot', { sessionId: null });
    if (announce && sessionId) this.events.emit('session.closed', { sessionId, reason });
  }
}

/** Adds a verified card revision to those a knock may have accepted (the last 20). */
export function rememberCard(g: GroupContext, card: SignedGroupCard): void {
  if (g.knownCards.some((c) => c.body.revision === card.body.revision && c.sig === card.sig)) return;
  g.knownCards = [...g.knownCards, card].slice(-20);
}
