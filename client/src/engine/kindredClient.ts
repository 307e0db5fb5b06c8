/**
 * The framework-free client engine: one instance is one device in one group. It drives the protocol over the relay
 * (connection.ts) with the crypto of '@kindred/shared/crypto', keeps every key inside itself, and exposes
 *
 * - `getState()` / `subscribe(listener)`: an immutable snapshot (state.ts) replaced on each change, the way
 *   zustand's vanilla store works, so a React store adapts it in a few lines;
 * - `on(event, handler)`: typed events for what a UI announces (a message, a roster change, an expiry change, a
 *   security warning, the session's end...);
 * - async methods for every action (create a group, open an invite, accept the rules, enter, send, moderate...).
 *
 * Trust: the engine takes nothing from the relay on its word. Roster entries go through RosterTracker (a fork,
 * rollback or bad signature is refused and surfaced as a security warning); session keys are verified against
 * identity keys; sender keys are accepted only from roster members and sent only to them; messages are decrypted
 * only from roster members who are not muted (a muted member's chat is ignored even when the relay forwards it).
 *
 * Time: every instant comes from the injectable clock, and every timer is a plain setTimeout, so tests drive
 * expiry and rekeying with fake timers.
 *
 * This class is the facade: the work is done by one module per concern (engineContext, groupFlows, rosterSync,
 * sessionEntry, keyDistribution, messaging, signals, presence, directNotes; options in clientOptions), wired here.
 */
import {
  initCrypto,
  isFacilitator,
  memberIdOf,
  randomBytes,
  safetyNumber,
  signAuthChallenge,
  wipe,
  type IdentityKeyPair,
} from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { KindredError } from '@kindred/shared/errors';
import type { GroupCardBody, MessageRef, NextSession, RosterOp, RosterPolicy, RoundKind, SessionSnapshot, SignalContent } from '@kindred/shared/protocol';
import { AutoAdmission } from './autoAdmission';
import { Connection } from './connection';
import { engineSettings, type KindredClientOptions } from './clientOptions';
import { DirectNotes } from './directNotes';
import { EngineContext, type Listener } from './engineContext';
import type { EngineEvents } from './engineEvents';
import { GroupFlows, type CardEdit, type CardFields } from './groupFlows';
import type { StoredGroup } from './groupStorage';
import { KeyDistribution } from './keyDistribution';
import { Messaging } from './messaging';
import { Outbox } from './outbox';
import { Introductions } from './introductions';
import { HeadSync } from './headSync';
import { Presence } from './presence';
import { Resumption } from './resumption';
import { RosterSync } from './rosterSync';
import { SessionEntry } from './sessionEntry';
import type { SessionSecrets } from './sessionSecrets';
import { Signals } from './signals';
import { removeKnock, talkShare, type ChatMessage, type EngineState, type InviteLink, type TalkShare } from './state';

export type { CardEdit, CardFields } from './groupFlows';
export type { EngineEvents } from './engineEvents';
export type { KindredClientOptions } from './clientOptions';
export type { GroupStorage, StoredGroup } from './groupStorage';

export class KindredClient {
  readonly me: string;
  /** The socket owner. For tests and tools (bots, benchmarks); a UI uses the methods below. */
  readonly connection: Connection;
  /** Kept by name (not only in the context) so tests and tools that sign as this device find it here. */
  private readonly identity: IdentityKeyPair;
  private readonly ctx: EngineContext;
  private readonly keys: KeyDistribution;
  private readonly messaging: Messaging;
  private readonly presence: Presence;
  private readonly rosterSync: RosterSync;
  private readonly sessions: SessionEntry;
  private readonly groups: GroupFlows;
  private readonly directNotes: DirectNotes;
  private readonly introductions: Introductions;
  private readonly heads: HeadSync;

  /** Prefer `KindredClient.create`, which also loads libsodium. */
  constructor(options: KindredClientOptions) {
    this.identity = options.identity;
    this.me = memberIdOf(options.identity.publicKey);
    this.connection = new Connection({
      url: options.url,
      prove: (challenge) => ({ member: this.me, sig: signAuthChallenge(this.identity, challenge) }),
      requestTimeoutMs: options.requestTimeoutMs,
      socketOptions: options.socketOptions,
    });
    const ctx = new EngineContext(engineSettings(options, this.me, this.connection));
    this.ctx = ctx;
    // Wired in dependency order; the three cycles of the protocol (a waiting key lets a message through, a message
    // from a later epoch fetches the roster, an admission re-enters) are closed by the late-bound arrows below.
    const signals = new Signals(ctx);
    this.heads = new HeadSync(ctx, () => this.rosterSync.refreshRoster(), (entries, source) => this.rosterSync.acceptEntries(entries, source));
    this.keys = new KeyDistribution(
      ctx,
      (secrets, envelope) => this.messaging.receiveEnvelope(secrets, envelope),
      (from, head) => this.heads.observe(from, head),
    );
    this.messaging = new Messaging(ctx, this.keys, signals, new Outbox(ctx), () => this.rosterSync.refreshRoster(), this.heads);
    this.introductions = new Introductions(ctx, () => this.rosterSync.refreshRoster());
    this.presence = new Presence(ctx, this.keys, this.messaging, this.introductions, () => this.rosterSync.refreshRoster());
    this.directNotes = new DirectNotes(ctx);
    const expiryPolicyChanged = (expirySeconds: number): void => {
      this.messaging.applyExpiryPolicy(expirySeconds);
      this.directNotes.applyExpiryPolicy(expirySeconds);
    };
    // Each move of my roster: headSync clears a gap it closes, the new head is announced, and a change of my own is
    // followed member by member until acknowledged.
    const rosterAdvanced = (own: number | null): void => {
      if (own !== null) return this.heads.madeChange(own);
      this.heads.onRosterAdvanced();
      this.messaging.announceHead();
    };
    this.rosterSync = new RosterSync(ctx, this.keys, expiryPolicyChanged, (secrets) => this.sessions.enter(secrets), rosterAdvanced);
    this.sessions = new SessionEntry(ctx, this.rosterSync, this.keys, this.messaging, this.presence, this.introductions);
    this.groups = new GroupFlows(ctx, this.rosterSync, this.messaging);

    // Admit automatically (policy.autoAdmit): on each verified knock and each roster change (the policy turned on,
    // an unlock, a ban), after the current turn so the change is applied first.
    const autoAdmission = new AutoAdmission(ctx, (member) => this.admit(member));
    const sweep = (): void => queueMicrotask(() => autoAdmission.sweep());
    ctx.events.on('knock', sweep);
    ctx.events.on('roster.change', sweep);
    ctx.events.on('session.status', sweep);

    const resumption = new Resumption(ctx, () => this.sessions.resume());
    this.connection.on('status', (status) => {
      // Between a drop and the re-entry that follows, the relay no longer counts this socket in the session.
      if (status !== 'ready') ctx.entered = false;
      ctx.update((s) => ({ ...s, connection: status }));
      resumption.onStatus(status);
      ctx.events.emit('connection', { status });
    });
    // A protocol version mismatch is final until the app is reloaded: the person is told (CLIENT_OUTDATED, RELAY_OUTDATED).
    this.connection.on('authError', (e) => {
      if (e.code === 'CLIENT_OUTDATED' || e.code === 'RELAY_OUTDATED') ctx.warn(e.code, 'connection');
    });
    this.connection.on('invalid', () => ctx.update((s) => ({ ...s, invalidPushes: this.connection.invalidPushes })));
    this.connection.on('authenticated', ({ reconnect }) => resumption.onAuthenticated(reconnect));
    this.connection.onPush('roster.entry', (p) => void this.rosterSync.onRosterPush(p).catch((e) => ctx.warnFromError(e, 'roster')));
    this.connection.onPush('session.member', (p) => this.presence.onSessionMember(p));
    this.connection.onPush('session.knock', (p) => this.presence.onKnock(p));
    this.connection.onPush('keys.sealed', (p) => {
      for (const sealed of p.sealed) this.keys.onSealed(sealed);
    });
    this.connection.onPush('message', (p) => this.messaging.onRelayed(p));
    // A box from a roster member is a private note; from anyone else, at most an introduction from the waiting room.
    this.connection.onPush('direct', (p) => {
      const fromMember = ctx.group?.tracker.state?.members.some((m) => m.id === p.box.from) ?? false;
      if (fromMember) this.directNotes.onDirect(p.box);
      else this.introductions.onDirect(p.box);
    });
    this.connection.onPush('session.closed', (p) => this.presence.onSessionClosed(p));
    this.connection.onPush('peer', (p) => this.heads.onPeerBox(p.box));
  }

  /** Loads libsodium, then builds the client (not yet connected). */
  static async create(options: KindredClientOptions): Promise<KindredClient> {
    await initCrypto();
    return new KindredClient(options);
  }

  /** The current session's secrets (null outside a session). Read by tests that play a dishonest relay. */
  private get secrets(): SessionSecrets | null {
    return this.ctx.secrets;
  }

  // ---------------------------------------------------------------- store API

  getState(): EngineState {
    return this.ctx.state;
  }

  /** Called with (next, previous) after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.ctx.listeners.add(listener);
    return () => this.ctx.listeners.delete(listener);
  }

  on<K extends keyof EngineEvents & string>(event: K, handler: (payload: EngineEvents[K]) => void): () => void {
    return this.ctx.events.on(event, handler);
  }

  /** Talk share of every member of the current session (derived from the state; empty outside a session). */
  talkShare(): TalkShare[] {
    return this.ctx.state.session ? talkShare(this.ctx.state.session) : [];
  }

  /** The 60-digit safety number of my key and `member`'s, to compare out of band. */
  safetyNumber(member: string): string {
    return safetyNumber(this.me, member);
  }

  /** The pseudonym this device announces in sessions (undefined until one is set). */
  get displayName(): string | undefined {
    return this.ctx.displayName;
  }

  setDisplayName(name: string): void {
    this.ctx.displayName = name;
    this.ctx.snapshotChanged(); // a reloaded tab comes back under this name
    this.secrets?.profileSeenBy.clear();
    void this.messaging.announceProfile().catch((e) => this.ctx.warnFromError(e, 'profile'));
    this.introductions.renamed();
  }

  // ---------------------------------------------------------------- connection

  /** Connects and authenticates; resolves once the relay accepted the identity proof. */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Quick exit: wipes the session and the group from memory and closes the socket for good. */
  close(): void {
    const ctx = this.ctx;
    if (ctx.closed) return;
    ctx.wipeSession('left', false);
    if (ctx.group?.invite) wipe(ctx.group.invite.signingKey.secretKey); // the invite's key signs knocks: not left in memory
    ctx.group = null;
    ctx.installRecord = null;
    ctx.closed = true;
    this.connection.close();
    ctx.update((s) => ({ ...s, group: null, session: null, invites: [], verified: [], closedReason: null, entering: false }));
    ctx.events.clear();
    ctx.listeners.clear();
  }

  // ---------------------------------------------------------------- group, invites, rules

  /**
   * Creates a group: a random 16-byte group id, the genesis roster entry with `policy`, the signed card, and a first
   * invite. Returns the group id and the invite link fragment (put it after '#': it never reaches a server).
   */
  async createGroup(fields: CardFields, policy: RosterPolicy): Promise<{ groupId: string; inviteId: string; fragment: string }> {
    const made = await this.groups.createGroup(fields, policy);
    this.ctx.update((s) => ({ ...s, closedReason: null, invites: [...s.invites, { inviteId: made.inviteId, fragment: made.fragment, revoked: false }] }));
    return made;
  }

  /**
   * A new invite (facilitators): a fresh secret, its signing key in the roster, its gate hash and the card encrypted
   * under it. Kept in `state.invites`; `label` is shown on knocks through it.
   */
  async createInvite(label?: string): Promise<InviteLink> {
    const { inviteId, fragment } = await this.groups.createInvite(label);
    const invite: InviteLink = { inviteId, fragment, revoked: false };
    this.ctx.update((s) => ({ ...s, invites: [...s.invites, invite] }));
    return invite;
  }

  async revokeInvite(inviteId: string): Promise<void> {
    await this.groups.revokeInvite(inviteId);
    this.ctx.update((s) => ({ ...s, invites: s.invites.map((i) => (i.inviteId === inviteId ? { ...i, revoked: true } : i)) }));
  }

  /** Marks `member`'s safety number as compared and matching on this device (`state.verified`). */
  markVerified(member: string): void {
    this.ctx.update((s) => (s.verified.includes(member) ? s : { ...s, verified: [...s.verified, member] }));
  }

  /** Leaves the "session closed" phase (a facilitator going back to the group to open another session). */
  acknowledgeClosed(): void {
    this.ctx.update((s) => (s.closedReason === null ? s : { ...s, closedReason: null }));
  }

  /**
   * Opens an invite link (the fragment, with or without '#'): fetches the encrypted card and the roster chain,
   * verifies the chain from genesis against the creator fingerprint in the link, decrypts the card and checks it is
   * signed by a facilitator of that roster. Returns the card for the rules screen. Members open it again before
   * each session (the card may have changed; the gate token lets a non-member knock).
   */
  async openInvite(fragment: string): Promise<GroupCardBody> {
    const card = await this.groups.openInvite(fragment);
    this.acknowledgeClosed();
    return card;
  }

  /** The groups this device keeps (the `groupStorage` option), most recently used first. */
  storedGroups(): Promise<StoredGroup[]> {
    return this.groups.storedGroups();
  }

  /**
   * Reopens a group this device keeps, without an invite link: the kept chain (verified again), brought up to date
   * from the relay, and the kept card. Facilitators then open the next session as usual. Returns the card, or null
   * when none was kept.
   */
  reopenGroup(groupId: string): Promise<GroupCardBody | null> {
    return this.groups.reopenGroup(groupId);
  }

  /** Keeps the current group on this device now (after its key became kept): chain, name and card. */
  keepGroup(): Promise<void> {
    return this.groups.keepGroup();
  }

  /** Loads the roster of a group this device is a member of (after a restart of the app), without an invite. */
  refreshRoster(): Promise<void> {
    return this.rosterSync.refreshRoster();
  }

  /**
   * Accepts the current card's rules for the CURRENT open session (signed with the identity key over the rules
   * digest and the session id). Required before every session: enterSession refuses without it. `agreement` is the
   * confidentiality agreement; a group that requires it refuses `false` with RULES_NOT_ACCEPTED.
   */
  acceptRules(agreement: boolean): void {
    this.groups.acceptRules(agreement);
  }

  // ---------------------------------------------------------------- sessions

  /** Facilitators: opens a new session (a roster entry with a fresh random session id). */
  async openSession(): Promise<string> {
    const sessionId = await this.sessions.openSession();
    this.acknowledgeClosed();
    return sessionId;
  }

  /** Facilitators: closes the open session; every device wipes it. */
  closeSession(): Promise<void> {
    return this.sessions.closeSession();
  }

  /**
   * Enters the open session with a fresh session key and this session's acceptance. Roster members join at once;
   * others wait in the waiting room (status 'waiting') until a facilitator admits them.
   */
  async enterSession(): Promise<'joined' | 'waiting'> {
    this.ctx.update((s) => ({ ...s, entering: true, closedReason: null }));
    try {
      return await this.sessions.enterSession();
    } finally {
      this.ctx.update((s) => (s.entering ? { ...s, entering: false } : s));
    }
  }

  /**
   * What a tab keeps to come back as the same member after a reload (sessionSnapshot.ts; docs/PROTOCOL.md part B,
   * "Reload"): null outside a joined session. As secret as the session key: keep it for the session's length only,
   * and delete it on `session.snapshot` with a null session id. `session.snapshot` says when it changed.
   */
  sessionSnapshot(): SessionSnapshot | null {
    return this.sessions.snapshot();
  }

  /**
   * Takes a kept snapshot back after a reload, once the group is open again (openInvite or reopenGroup): the same
   * session key and acceptance, no knock; the relay replays what it still buffers, and messages shown before that it
   * no longer holds are reported in the log (`history-gone`). SESSION_NOT_OPEN when that session is over.
   */
  async restoreSession(snapshot: unknown): Promise<'joined' | 'waiting'> {
    return this.sessions.restoreSession(snapshot);
  }

  /**
   * A reloaded facilitator's invite links (their fragments, kept with its place): back in `state.invites` when they
   * are this group's and still live in the verified roster; others are dropped. Returns those taken back.
   */
  restoreInvites(fragments: readonly string[]): InviteLink[] {
    return this.groups.restoreInvites(fragments);
  }

  /** Leaves the session (this device only); everything of the session is wiped here. */
  leaveSession(): Promise<void> {
    return this.sessions.leaveSession();
  }

  // ---------------------------------------------------------------- facilitation (each a signed roster entry)

  /**
   * Admits a knocking member (roster 'admit'). A facilitator admits only a knock this device verified (its invite
   * proof, acceptance and session key): a key the relay names without one is KNOCK_UNPROVEN, nothing is signed.
   */
  async admit(member: string): Promise<void> {
    const roster = this.ctx.requireRoster();
    const knocked = this.ctx.state.session?.knocks.some((k) => k.member === member) ?? false;
    if (isFacilitator(roster, this.me) && !knocked) throw new KindredError('KNOCK_UNPROVEN', 'no verified knock from this key');
    await this.appendRoster({ type: 'admit', member });
    this.ctx.update((s) => (s.session ? { ...s, session: removeKnock(s.session, member) } : s));
  }

  /**
   * Denies a knock by dismissing it from this facilitator's list: nothing is signed and the knocker simply stays
   * unadmitted (the relay drops the knock when they leave or the session ends). Use `ban` to keep them out for good.
   */
  deny(member: string): void {
    this.ctx.update((s) => (s.session ? { ...s, session: removeKnock(s.session, member) } : s));
  }

  mute(member: string): Promise<void> {
    return this.appendRoster({ type: 'mute', member });
  }
  unmute(member: string): Promise<void> {
    return this.appendRoster({ type: 'unmute', member });
  }
  muteAll(on: boolean): Promise<void> {
    return this.appendRoster({ type: 'muteAll', on });
  }
  remove(member: string): Promise<void> {
    return this.appendRoster({ type: 'remove', member });
  }
  ban(member: string): Promise<void> {
    return this.appendRoster({ type: 'ban', member });
  }
  unban(member: string): Promise<void> {
    return this.appendRoster({ type: 'unban', member });
  }
  promote(member: string): Promise<void> {
    return this.appendRoster({ type: 'role', member, role: 'facilitator' });
  }
  demote(member: string): Promise<void> {
    return this.appendRoster({ type: 'role', member, role: 'member' });
  }
  lock(on: boolean): Promise<void> {
    return this.appendRoster({ type: 'lock', on });
  }
  /**
   * Admit automatically (policy.autoAdmit): while on, a facilitator's device admits each knock it verified, with the
   * ordinary signed `admit`; never while locked, never a banned key, never a knock that did not verify.
   */
  autoAdmit(on: boolean): Promise<void> {
    return this.appendRoster({ type: 'autoAdmit', on });
  }
  slowMode(seconds: number): Promise<void> {
    return this.appendRoster({ type: 'slowMode', seconds });
  }
  setExpiry(expirySeconds: number): Promise<void> {
    return this.appendRoster({ type: 'expiry', expirySeconds });
  }
  /** Leaves the group for good (roster 'leave', signed by myself). */
  async leaveGroup(): Promise<void> {
    await this.appendRoster({ type: 'leave', member: this.me });
  }

  /**
   * Signs `op` on top of the verified roster (refused locally when the rules forbid it), appends it at the relay
   * and applies it. On CONFLICT (another facilitator appended first) it catches up and tries once more.
   */
  appendRoster(op: RosterOp): Promise<void> {
    return this.rosterSync.appendRoster(op);
  }

  // ---------------------------------------------------------------- messages

  /** Sends a chat message to the session. MUTED locally when the roster mutes me (the relay refuses too). */
  send(text: string, replyTo?: MessageRef): Promise<ChatMessage> {
    return this.messaging.send(text, replyTo);
  }

  /** Sends a signal (presence, typing, hands, rounds, card update) to the session. */
  sendSignal(content: SignalContent): Promise<void> {
    return this.messaging.sendSignal(content);
  }

  setTyping(on: boolean): Promise<void> {
    return this.sendSignal({ kind: 'typing', on });
  }
  raiseHand(): Promise<void> {
    return this.sendSignal({ kind: 'hand', raised: true });
  }
  /** Lowers my hand, or (facilitators) someone else's. */
  lowerHand(member?: string): Promise<void> {
    return this.sendSignal(member && member !== this.me ? { kind: 'hand', raised: false, member } : { kind: 'hand', raised: false });
  }
  /** Facilitators: starts a talking-stick round; the order defaults to everyone present, facilitators last. */
  async startRound(round: RoundKind, order?: string[]): Promise<string> {
    const roster = this.ctx.requireRoster();
    const present = this.ctx.state.session?.present ?? [];
    const list = order ?? [...present].sort((a, b) => Number(isFacilitator(roster, a)) - Number(isFacilitator(roster, b)));
    const roundId = toBase64Url(randomBytes(16));
    await this.sendSignal({ kind: 'round.start', roundId, round, order: list });
    return roundId;
  }
  async passStick(to?: string): Promise<void> {
    const r = this.ctx.state.session?.round;
    if (!r) throw new KindredError('BAD_REQUEST', 'no round running');
    await this.sendSignal(to ? { kind: 'round.pass', roundId: r.id, to } : { kind: 'round.pass', roundId: r.id });
  }
  async endRound(): Promise<void> {
    const r = this.ctx.state.session?.round;
    if (!r) return;
    await this.sendSignal({ kind: 'round.end', roundId: r.id });
  }

  /** A private note to every facilitator present ("I'm struggling", a breach report): one box each. */
  sendDirect(kind: 'struggling' | 'breach-report', text: string): Promise<number> {
    return this.directNotes.send(kind, text);
  }

  /** Facilitators: marks a private note read and tells the member who wrote it (an end-to-end encrypted receipt). */
  acknowledgeNote(id: number): Promise<void> {
    return this.directNotes.acknowledge(id);
  }

  /**
   * Facilitators: shares an edited card (next revision) with the session and with the live invites this device made
   * or keeps (the relay serves it to whoever opens them). New invites carry it too.
   */
  updateCard(fields: CardEdit): Promise<GroupCardBody> {
    return this.groups.updateCard(fields);
  }

  /** Facilitators: when the group meets next (in the encrypted card), or null to take it off. */
  setNextSession(next: NextSession | null): Promise<GroupCardBody> {
    return this.groups.updateCard({ nextSession: next });
  }
}
