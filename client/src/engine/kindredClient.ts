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
 */
import {
  createGenesis,
  createInviteSecret,
  decryptGroupCard,
  decryptMessage,
  encryptGroupCard,
  encryptMessage,
  epochCode,
  fingerprint,
  formatInviteFragment,
  initCrypto,
  inviteGateHash,
  inviteGateToken,
  isFacilitator,
  memberIdOf,
  memberMaySend,
  needsRekey,
  openDirect,
  parseInviteFragment,
  pruneReceiveState,
  randomBytes,
  REKEY_AFTER_MS,
  RosterTracker,
  rulesDigest,
  safetyNumber,
  sealToFacilitators,
  signAcceptance,
  signAuthChallenge,
  signGroupCard,
  signRosterEntry,
  verifyAcceptance,
  verifyGroupCard,
  verifySessionKey,
  wipe,
  type IdentityKeyPair,
  type RosterState,
  type RosterStorage,
  type SenderKeyRecipient,
} from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { KindredError, errorSentence, isKindredError, type ErrorCode } from '@kindred/shared/errors';
import {
  MAX_TEXT_LENGTH,
  decodeContent,
  decodeDirectContent,
  encodeContent,
  encodeDirectContent,
  type ChatContent,
  type Envelope,
  type GroupCardBody,
  type Knock,
  type MessageRef,
  type RelayedMessage,
  type RosterOp,
  type RosterPolicy,
  type RoundKind,
  type SealedSenderKey,
  type ServerPayload,
  type SignalContent,
  type SignedGroupCard,
  type SignedRosterEntry,
} from '@kindred/shared/protocol';
import { Connection, type ConnectionOptions, type ConnectionStatus } from './connection';
import { Emitter } from './emitter';
import { ExpiryScheduler, systemClock, type Clock } from './expiry';
import { chunkSealedKeys, KEYS_REQUEST_BUDGET_BYTES, keysRequestBytes } from './keyChunks';
import { SessionSecrets } from './sessionSecrets';
import {
  addKnock,
  addMessage,
  describeRosterOp,
  emptySession,
  endRound,
  expireMessages,
  expiryMs,
  initialState,
  messageId,
  passRound,
  removeKnock,
  setHand,
  setPresent,
  setTyping,
  startRound,
  talkShare,
  type ChatMessage,
  type DirectNote,
  type EngineState,
  type GroupView,
  type Knocker,
  type SecurityWarning,
  type SessionView,
  type TalkShare,
} from './state';

/** The card fields a facilitator writes; id, signer, revision and expiry are filled in by the engine. */
export type CardFields = Pick<
  GroupCardBody,
  'name' | 'groundRules' | 'codeOfConduct' | 'confidentialityLimits' | 'crisisResources' | 'requireSignedAgreement'
>;

export interface KindredClientOptions {
  /** Relay origin, e.g. `https://kindred.example.org` or `http://127.0.0.1:PORT`. */
  url: string;
  /** The device's identity key; storing it (wrapped) is the caller's business. */
  identity: IdentityKeyPair;
  /**
   * Where verified roster chains are kept between runs (the web client: IndexedDB). With it, a relay that serves
   * an older roster than this device saw before a restart is caught (ROSTER_ROLLBACK); the chain is re-verified
   * on load, so the storage is not trusted either. Without it, rosters live in memory only.
   */
  rosterStorage?: RosterStorage;
  /** Pseudonym announced to the session (E2E encrypted, never seen by the relay). */
  displayName?: string;
  /** Local clock (ms); defaults to Date.now. */
  clock?: Clock;
  /** Rekey a chain after this long even if nothing else asks for it (default REKEY_AFTER_MS, 30 minutes). */
  rekeyAfterMs?: number;
  /** How long a 'typing' indicator stays without a refresh (default 8 s). */
  typingTimeoutMs?: number;
  /**
   * Up to this many present members (me included) a removal, leave, ban or chain age makes a new chain at once;
   * above it the old chain is wiped and the new one made just before my next message (default
   * EAGER_REKEY_MAX_PRESENT). 0 makes every such rekey lazy.
   */
  eagerRekeyMaxPresent?: number;
  requestTimeoutMs?: ConnectionOptions['requestTimeoutMs'];
  socketOptions?: ConnectionOptions['socketOptions'];
}

/** Typed events (`client.on(name, handler)`). Everything is also reflected in the state snapshot. */
export interface EngineEvents {
  connection: { status: ConnectionStatus };
  message: ChatMessage;
  'message.expired': { ids: string[] };
  signal: { from: string; content: SignalContent };
  /** A verified roster entry was applied; every change is announced, nothing changes silently. */
  'roster.change': { epoch: number; signer: string; op: RosterOp; description: string };
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
  direct: DirectNote;
  presence: { member: string; present: boolean };
  rekeyed: { epoch: number; keyId: string };
}

/** What the engine keeps for the group beyond the snapshot: the tracker, the signed card, the invite. */
interface GroupContext {
  groupId: string;
  tracker: RosterTracker;
  card: SignedGroupCard | null;
  /** Every card revision this device verified (older invites still serve older ones): knocks may accept any. */
  knownCards: SignedGroupCard[];
  /** The invite this device came in by (non-members present the gate token to knock). */
  invite: { inviteId: string; gateToken: string } | null;
  acceptance: ReturnType<typeof signAcceptance> | null;
}

type Listener = (state: EngineState, previous: EngineState) => void;

/** Signals (typing, hands, rounds) live at most this long: they are state changes, not conversation. */
const SIGNAL_TTL_SECONDS = 60;
const PRUNE_INTERVAL_MS = 60_000;

/**
 * Rekey rule (docs/PROTOCOL.md part B, "Rekey"). When a removal, leave or ban (or the chain's age) calls for a new
 * chain, a session of at most this many present members (me included) makes it at once and seals it to everyone:
 * (N−1)² boxes in all, about a thousand at 32, so every device soon holds only new chains. Above it the engine only
 * WIPES its chain then, and makes and distributes the new one just before its own next message (lazy): one member's
 * rekey is O(N) and happens when it speaks, instead of every member sealing to every other at once, O(N²) (a
 * million pushes at 1,000 members; docs/BENCHMARKS.md "Findings" 2). Either way no message leaves on a chain made
 * before the removal: the send checks needsRekey in the same synchronous turn as it encrypts.
 */
export const EAGER_REKEY_MAX_PRESENT = 32;
/** A send re-checks its chain after waiting for key distribution this many times before giving up (UNAVAILABLE). */
const SEND_CHAIN_ATTEMPTS = 3;

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
  'COUNTER_TOO_FAR',
  'COUNTER_TOO_OLD',
  'STALE_EPOCH',
  'WRONG_SESSION',
  'RULES_NOT_ACCEPTED',
  'NOT_FACILITATOR',
]);

export class KindredClient {
  readonly me: string;
  /** The socket owner. For tests and tools (bots, benchmarks); a UI uses the methods below. */
  readonly connection: Connection;
  private readonly identity: IdentityKeyPair;
  private readonly clock: Clock;
  private readonly events = new Emitter<EngineEvents>();
  private readonly listeners = new Set<Listener>();
  private readonly expiry: ExpiryScheduler;
  private readonly rekeyAfterMs: number;
  private readonly typingTimeoutMs: number;
  private readonly eagerRekeyMaxPresent: number;
  private displayName: string | undefined;
  private readonly rosterStorage: RosterStorage | undefined;
  private savedEpoch = -1;
  private state: EngineState;
  private group: GroupContext | null = null;
  private secrets: SessionSecrets | null = null;
  private rekeyTimer: ReturnType<typeof setTimeout> | null = null;
  private pruneTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private distributing: Promise<void> = Promise.resolve();
  /** keys.distribute jobs queued or running (a send waits until none is, so its chain has reached the relay). */
  private distributionsInFlight = 0;
  /** Bytes per keys.distribute request; halved for this relay when it answers PAYLOAD_TOO_LARGE. */
  private keysRequestBudget = KEYS_REQUEST_BUDGET_BYTES;
  private directSeq = 0;
  private warningSeq = 0;
  private closed = false;
  /** True once session.enter succeeded on the current socket (false again after any drop until resume re-enters). */
  private entered = false;
  private readonly enteredWaiters: (() => void)[] = [];
  private readonly requestTimeoutMs: number;

  /** Prefer `KindredClient.create`, which also loads libsodium. */
  constructor(options: KindredClientOptions) {
    this.identity = options.identity;
    this.me = memberIdOf(options.identity.publicKey);
    this.clock = options.clock ?? systemClock;
    this.displayName = options.displayName;
    this.rosterStorage = options.rosterStorage;
    this.rekeyAfterMs = options.rekeyAfterMs ?? REKEY_AFTER_MS;
    this.typingTimeoutMs = options.typingTimeoutMs ?? 8_000;
    this.eagerRekeyMaxPresent = options.eagerRekeyMaxPresent ?? EAGER_REKEY_MAX_PRESENT;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.state = initialState(this.me);
    this.expiry = new ExpiryScheduler(this.clock, (now) => this.expireDue(now));
    this.connection = new Connection({
      url: options.url,
      prove: (challenge) => ({ member: this.me, sig: signAuthChallenge(this.identity, challenge) }),
      requestTimeoutMs: options.requestTimeoutMs,
      socketOptions: options.socketOptions,
    });
    this.connection.on('status', (status) => {
      // Between a drop and the re-entry that follows, the relay no longer counts this socket in the session.
      if (status !== 'ready') this.entered = false;
      this.update((s) => ({ ...s, connection: status }));
      this.events.emit('connection', { status });
    });
    this.connection.on('invalid', () => this.update((s) => ({ ...s, invalidPushes: this.connection.invalidPushes })));
    this.connection.on('authenticated', ({ reconnect }) => {
      if (reconnect) void this.resume().catch((e) => this.warnFromError(e, 'resume'));
    });
    this.connection.onPush('roster.entry', (p) => void this.onRosterPush(p).catch((e) => this.warnFromError(e, 'roster')));
    this.connection.onPush('session.member', (p) => this.onSessionMember(p));
    this.connection.onPush('session.knock', (p) => this.onKnock(p));
    this.connection.onPush('keys.sealed', (p) => this.onSealed(p.sealed));
    this.connection.onPush('message', (p) => this.onRelayed(p));
    this.connection.onPush('direct', (p) => this.onDirect(p.box));
    this.connection.onPush('session.closed', (p) => this.onSessionClosed(p));
  }

  /** Loads libsodium, then builds the client (not yet connected). */
  static async create(options: KindredClientOptions): Promise<KindredClient> {
    await initCrypto();
    return new KindredClient(options);
  }

  // ---------------------------------------------------------------- store API

  getState(): EngineState {
    return this.state;
  }

  /** Called with (next, previous) after every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  on<K extends keyof EngineEvents & string>(event: K, handler: (payload: EngineEvents[K]) => void): () => void {
    return this.events.on(event, handler);
  }

  /** Talk share of every member of the current session (derived from the state; empty outside a session). */
  talkShare(): TalkShare[] {
    return this.state.session ? talkShare(this.state.session) : [];
  }

  /** The 60-digit safety number of my key and `member`'s, to compare out of band. */
  safetyNumber(member: string): string {
    return safetyNumber(this.me, member);
  }

  setDisplayName(name: string): void {
    this.displayName = name;
    this.secrets?.profileSeenBy.clear();
    void this.announceProfile().catch((e) => this.warnFromError(e, 'profile'));
  }

  // ---------------------------------------------------------------- connection

  /** Connects and authenticates; resolves once the relay accepted the identity proof. */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  /** Quick exit: wipes the session and the group from memory and closes the socket for good. */
  close(): void {
    if (this.closed) return;
    this.wipeSession('left', false);
    this.group = null;
    this.closed = true;
    this.connection.close();
    this.update((s) => ({ ...s, group: null, session: null }));
    this.events.clear();
    this.listeners.clear();
  }

  // ---------------------------------------------------------------- group, invites, rules

  /**
   * Creates a group: a random 16-byte group id, the genesis roster entry with `policy`, the signed card, and a first
   * invite. Returns the group id and the invite link fragment (put it after '#': it never reaches a server).
   */
  async createGroup(fields: CardFields, policy: RosterPolicy): Promise<{ groupId: string; inviteId: string; fragment: string }> {
    const groupId = toBase64Url(randomBytes(16));
    const genesis = createGenesis(this.identity, groupId, policy);
    const card = signGroupCard({ v: 1, groupId, ...fields, expirySeconds: policy.expirySeconds, revision: 1 }, this.identity);
    await this.connection.request('group.create', { genesis });
    const tracker = new RosterTracker(groupId, fingerprint(this.me));
    tracker.accept([genesis]);
    this.group = { groupId, tracker, card, knownCards: [card], invite: null, acceptance: null };
    this.publishGroup();
    const invite = await this.createInvite();
    return { groupId, ...invite };
  }

  /** A new invite (facilitators): a fresh secret, its gate hash and the card encrypted under it. */
  async createInvite(): Promise<{ inviteId: string; fragment: string }> {
    const g = this.requireGroup();
    const roster = this.requireRoster();
    if (!g.card) throw new KindredError('NOT_FOUND', 'no group card on this device');
    if (!isFacilitator(roster, this.me)) throw new KindredError('NOT_FACILITATOR');
    const secret = createInviteSecret();
    try {
      const inviteId = toBase64Url(randomBytes(16));
      const gateHash = inviteGateHash(inviteGateToken(secret));
      const card = encryptGroupCard(g.card, secret);
      await this.connection.request('invite.create', { groupId: g.groupId, inviteId, gateHash, card });
      const fragment = formatInviteFragment({ groupId: g.groupId, inviteId, secret, creatorFingerprint: fingerprint(roster.creator) });
      return { inviteId, fragment };
    } finally {
      wipe(secret);
    }
  }

  async revokeInvite(inviteId: string): Promise<void> {
    await this.connection.request('invite.revoke', { groupId: this.requireGroup().groupId, inviteId });
  }

  /**
   * Opens an invite link (the fragment, with or without '#'): fetches the encrypted card and the roster chain,
   * verifies the chain from genesis against the creator fingerprint in the link, decrypts the card and checks it is
   * signed by a facilitator of that roster. Returns the card for the rules screen. Members open it again before
   * each session (the card may have changed; the gate token lets a non-member knock).
   */
  async openInvite(fragment: string): Promise<GroupCardBody> {
    const link = parseInviteFragment(fragment);
    try {
      const gateToken = inviteGateToken(link.secret);
      const res = await this.connection.request('invite.open', { groupId: link.groupId, inviteId: link.inviteId, gateToken });
      const existing = this.group?.groupId === link.groupId ? this.group : null;
      const tracker =
        existing?.tracker ??
        (this.rosterStorage
          ? await RosterTracker.load(this.rosterStorage, link.groupId, link.creatorFingerprint).catch((e: unknown) => {
              this.warnFromError(e, 'stored roster');
              throw e;
            })
          : new RosterTracker(link.groupId, link.creatorFingerprint));
      const before = tracker.epoch;
      let fresh: SignedRosterEntry[];
      try {
        fresh = tracker.acceptHead(res.roster);
      } catch (e) {
        this.warnFromError(e, 'invite roster');
        throw e;
      }
      const signed = decryptGroupCard(res.card, link.secret, link.groupId);
      let card: SignedGroupCard;
      try {
        card = verifyGroupCard(signed, tracker.state as RosterState);
      } catch (e) {
        this.warnFromError(e, 'group card');
        throw e;
      }
      if (existing) {
        if (!existing.card || card.body.revision >= existing.card.body.revision) existing.card = card;
        rememberCard(existing, card);
        existing.invite = { inviteId: link.inviteId, gateToken };
        if (fresh.length > 0 && before >= 0) this.afterRosterEntries(fresh);
      } else {
        this.wipeSession('left', false);
        this.savedEpoch = -1;
        this.group = { groupId: link.groupId, tracker, card, knownCards: [card], invite: { inviteId: link.inviteId, gateToken }, acceptance: null };
      }
      this.publishGroup();
      // A member follows the group's roster pushes (roster.get joins this socket to the group room).
      if (tracker.state?.members.some((m) => m.id === this.me)) await this.refreshRoster();
      return (this.group as GroupContext).card!.body;
    } finally {
      wipe(link.secret);
    }
  }

  /** Loads the roster of a group this device is a member of (after a restart of the app), without an invite. */
  async refreshRoster(): Promise<void> {
    const g = this.requireGroup();
    const res = await this.connection.request('roster.get', { groupId: g.groupId, sinceEpoch: g.tracker.epoch });
    if (res.entries.length > 0) this.applyRosterEntries(res.entries, 'roster.get');
  }

  /**
   * Accepts the current card's rules for the CURRENT open session (signed with the identity key over the rules
   * digest and the session id). Required before every session: enterSession refuses without it. `agreement` is the
   * confidentiality agreement; a group that requires it refuses `false` with RULES_NOT_ACCEPTED.
   */
  acceptRules(agreement: boolean): void {
    const g = this.requireGroup();
    const roster = this.requireRoster();
    if (!g.card) throw new KindredError('NOT_FOUND', 'open the invite first: no rules to accept');
    if (!roster.session?.open) throw new KindredError('SESSION_NOT_OPEN');
    if (g.card.body.requireSignedAgreement && !agreement) throw new KindredError('RULES_NOT_ACCEPTED', 'agreement required');
    g.acceptance = signAcceptance(this.identity, {
      groupId: g.groupId,
      sessionId: roster.session.id,
      rulesDigest: rulesDigest(g.card.body),
      agreement,
    });
    this.publishGroup();
  }

  // ---------------------------------------------------------------- sessions

  /** Facilitators: opens a new session (a roster entry with a fresh random session id). */
  async openSession(): Promise<string> {
    const sessionId = toBase64Url(randomBytes(16));
    await this.appendRoster({ type: 'sessionOpen', sessionId });
    return sessionId;
  }

  /** Facilitators: closes the open session; every device wipes it. */
  async closeSession(): Promise<void> {
    const session = this.requireRoster().session;
    if (!session?.open) throw new KindredError('SESSION_NOT_OPEN');
    await this.appendRoster({ type: 'sessionClose', sessionId: session.id });
  }

  /**
   * Enters the open session with a fresh session key and this session's acceptance. Roster members join at once;
   * others wait in the waiting room (status 'waiting') until a facilitator admits them.
   */
  async enterSession(): Promise<'joined' | 'waiting'> {
    const g = this.requireGroup();
    const roster = this.requireRoster();
    const session = roster.session;
    if (!session?.open) throw new KindredError('SESSION_NOT_OPEN');
    if (!g.acceptance || g.acceptance.body.sessionId !== session.id) throw new KindredError('RULES_NOT_ACCEPTED');
    if (this.secrets && (this.secrets.sessionId !== session.id || this.secrets.wiped)) this.wipeSession('ended', false);
    if (!this.secrets) this.secrets = new SessionSecrets(g.groupId, session.id, this.me, g.acceptance, this.identity);
    return this.enter(this.secrets);
  }

  /** Leaves the session (this device only); everything of the session is wiped here. */
  async leaveSession(): Promise<void> {
    const g = this.requireGroup();
    try {
      await this.connection.request('session.leave', { groupId: g.groupId });
    } finally {
      this.wipeSession('left', true);
    }
  }

  // ---------------------------------------------------------------- facilitation (each a signed roster entry)

  /** Admits a knocking member (roster 'admit'). */
  async admit(member: string): Promise<void> {
    await this.appendRoster({ type: 'admit', member });
    this.update((s) => (s.session ? { ...s, session: removeKnock(s.session, member) } : s));
  }

  /**
   * Denies a knock by dismissing it from this facilitator's list: nothing is signed and the knocker simply stays
   * unadmitted (the relay drops the knock when they leave or the session ends). Use `ban` to keep them out for good.
   */
  deny(member: string): void {
    this.update((s) => (s.session ? { ...s, session: removeKnock(s.session, member) } : s));
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
  async appendRoster(op: RosterOp): Promise<void> {
    const g = this.requireGroup();
    for (let attempt = 0; ; attempt++) {
      const entry = signRosterEntry(this.requireRoster(), op, this.identity);
      try {
        await this.connection.request('roster.append', { groupId: g.groupId, entry });
      } catch (e) {
        if (attempt === 0 && isKindredError(e, 'CONFLICT')) {
          await this.refreshRoster();
          continue;
        }
        throw e;
      }
      this.applyRosterEntries([entry], 'own');
      return;
    }
  }

  // ---------------------------------------------------------------- messages

  /** Sends a chat message to the session. MUTED locally when the roster mutes me (the relay refuses too). */
  async send(text: string, replyTo?: MessageRef): Promise<ChatMessage> {
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH) throw new KindredError('BAD_REQUEST', 'text length');
    const roster = this.requireRoster();
    if (!memberMaySend(roster, this.me)) throw new KindredError('MUTED');
    const content = replyTo ? { kind: 'text' as const, text, replyTo } : { kind: 'text' as const, text };
    const { envelope } = await this.sendEnvelope('chat', encodeContent('chat', content));
    const now = this.clock.now();
    const message: ChatMessage = {
      id: messageId({ sender: this.me, keyId: envelope.header.keyId, counter: envelope.header.counter }),
      sender: this.me,
      text,
      ...(replyTo ? { replyTo } : {}),
      receivedAt: now,
      expiresAt: now + envelope.header.ttl * 1000,
      own: true,
    };
    this.addChat(message);
    return message;
  }

  /** Sends a signal (presence, typing, hands, rounds, card update) to the session. */
  async sendSignal(content: SignalContent): Promise<void> {
    await this.sendEnvelope('signal', encodeContent('signal', content));
    this.applySignal(this.me, content);
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
    const roster = this.requireRoster();
    const present = this.state.session?.present ?? [];
    const list = order ?? [...present].sort((a, b) => Number(isFacilitator(roster, a)) - Number(isFacilitator(roster, b)));
    const roundId = toBase64Url(randomBytes(16));
    await this.sendSignal({ kind: 'round.start', roundId, round, order: list });
    return roundId;
  }
  async passStick(to?: string): Promise<void> {
    const r = this.state.session?.round;
    if (!r) throw new KindredError('BAD_REQUEST', 'no round running');
    await this.sendSignal(to ? { kind: 'round.pass', roundId: r.id, to } : { kind: 'round.pass', roundId: r.id });
  }
  async endRound(): Promise<void> {
    const r = this.state.session?.round;
    if (!r) return;
    await this.sendSignal({ kind: 'round.end', roundId: r.id });
  }

  /** A private note to every facilitator present ("I'm struggling", a breach report): one box each. */
  async sendDirect(kind: 'struggling' | 'breach-report', text: string): Promise<number> {
    const secrets = this.requireJoined();
    const roster = this.requireRoster();
    const recipients: SenderKeyRecipient[] = [];
    for (const [member, sessionPk] of secrets.peers) if (isFacilitator(roster, member)) recipients.push({ member, sessionPk });
    if (recipients.length === 0) throw new KindredError('NOT_FOUND', 'no facilitator present');
    const plaintext = encodeDirectContent({ kind, text });
    try {
      const boxes = sealToFacilitators(secrets.pairwise, roster, recipients, { groupId: secrets.groupId, sessionId: secrets.sessionId, from: this.me }, plaintext);
      for (const box of boxes) await this.connection.request('direct.send', { box });
      return boxes.length;
    } finally {
      wipe(plaintext);
    }
  }

  /** Facilitators: shares an edited card (next revision) with the session. New invites carry it too. */
  async updateCard(fields: Partial<CardFields>): Promise<GroupCardBody> {
    const g = this.requireGroup();
    if (!g.card) throw new KindredError('NOT_FOUND', 'no group card on this device');
    const { signer: _signer, ...body } = g.card.body;
    const card = signGroupCard({ ...body, ...fields, expirySeconds: this.requireRoster().policy.expirySeconds, revision: body.revision + 1 }, this.identity);
    g.card = card;
    rememberCard(g, card);
    this.publishGroup();
    if (this.state.session?.status === 'joined') await this.sendSignal({ kind: 'card.updated', card });
    return card.body;
  }

  // ================================================================ internals

  private requireGroup(): GroupContext {
    if (this.closed) throw new KindredError('UNAVAILABLE', 'client closed');
    if (!this.group) throw new KindredError('NOT_FOUND', 'no group: create one or open an invite');
    return this.group;
  }

  private requireRoster(): RosterState {
    const roster = this.requireGroup().tracker.state;
    if (!roster) throw new KindredError('NOT_FOUND', 'roster not loaded');
    return roster;
  }

  private requireJoined(): SessionSecrets {
    if (!this.secrets || this.state.session?.status !== 'joined') throw new KindredError('SESSION_NOT_OPEN', 'not in a session');
    return this.secrets;
  }

  private update(f: (s: EngineState) => EngineState): void {
    const prev = this.state;
    const next = f(prev);
    if (next === prev) return;
    this.state = next;
    for (const l of [...this.listeners]) {
      try {
        l(next, prev);
      } catch (e) {
        console.error('kindred engine: state listener threw', e);
      }
    }
  }

  private updateSession(f: (s: SessionView) => SessionView): void {
    this.update((s) => {
      if (!s.session) return s;
      const next = f(s.session);
      return next === s.session ? s : { ...s, session: next };
    });
  }

  private publishGroup(): void {
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

  private warn(code: ErrorCode, context: string): void {
    const warning: SecurityWarning = { id: ++this.warningSeq, code, message: `${errorSentence(code)} (${context})`, at: this.clock.now() };
    this.update((s) => ({ ...s, warnings: [...s.warnings, warning].slice(-100) }));
    this.events.emit('security.warning', warning);
  }

  /**
   * A failure of background work: a security warning when it says something was forged, tampered with or
   * inconsistent (SECURITY_CODES); otherwise (network, relay refusals) an 'error' event only.
   */
  private warnFromError(e: unknown, context: string): void {
    const code: ErrorCode = isKindredError(e) ? e.code : 'INTERNAL';
    if (SECURITY_CODES.has(code)) this.warn(code, context);
    else this.events.emit('error', { code, context });
  }

  // ---------------------------------------------------------------- entering and resuming

  private async enter(secrets: SessionSecrets): Promise<'joined' | 'waiting'> {
    const g = this.requireGroup();
    const member = this.requireRoster().members.some((m) => m.id === this.me);
    const res = await this.connection.request('session.enter', {
      groupId: g.groupId,
      sessionId: secrets.sessionId,
      acceptance: secrets.acceptance,
      sessionKey: secrets.signedKey,
      ...(!member && g.invite ? { inviteId: g.invite.inviteId, gateToken: g.invite.gateToken } : {}),
      ...(secrets.lastSeq !== undefined ? { lastSeq: secrets.lastSeq } : {}),
    });
    if (this.secrets !== secrets) throw new KindredError('SESSION_NOT_OPEN', 'session ended while entering');
    this.entered = res.status === 'joined';
    if (this.entered) for (const w of this.enteredWaiters.splice(0)) w();
    const prevStatus = this.state.session?.sessionId === secrets.sessionId ? this.state.session.status : null;
    this.update((s) => ({
      ...s,
      session: s.session?.sessionId === secrets.sessionId ? { ...s.session, status: res.status } : emptySession(g.groupId, secrets.sessionId, res.status),
    }));
    if (prevStatus !== res.status) this.events.emit('session.status', { sessionId: secrets.sessionId, status: res.status });
    if (res.status === 'waiting') return 'waiting';

    for (const p of res.present) this.addPeer(secrets, p.member, p.sessionKey);
    this.updateSession((s) => setPresent(s, this.me, true));
    for (const k of res.waiting) this.onKnock(k);
    for (const sealed of res.sealed) this.openSealed(secrets, sealed);
    // A device that has received nothing yet resumes after a drop from the seq at its entry (without a lastSeq the
    // relay replays nothing). A message pushed before this answer has set lastSeq already.
    if (secrets.lastSeq === undefined && res.seq !== undefined) secrets.lastSeq = res.seq;
    const missed = [...res.missed].sort((a, b) => a.seq - b.seq);
    for (const m of missed) this.onRelayed(m);
    this.armPruneTimer();
    await this.ensureChain('session');
    await this.announceProfile().catch((e) => this.warnFromError(e, 'profile'));
    return 'joined';
  }

  /** After a reconnect: catch up on the roster, then re-enter the session with lastSeq (same key, same acceptance). */
  private async resume(): Promise<void> {
    const g = this.group;
    if (!g) return;
    await this.refreshRoster();
    const secrets = this.secrets;
    if (!secrets || secrets.wiped) return;
    const roster = g.tracker.state;
    if (!roster?.session?.open || roster.session.id !== secrets.sessionId) return this.wipeSession('ended', true);
    await this.enter(secrets);
  }

  private addPeer(secrets: SessionSecrets, member: string, signed: Parameters<SessionSecrets['addPeer']>[1]): boolean {
    if (member === this.me) return true;
    try {
      secrets.addPeer(member, signed);
    } catch (e) {
      this.warnFromError(e, 'session key');
      return false;
    }
    // Shown as present only when the verified roster has it: the relay's word makes nobody a participant (a ghost
    // stays invisible). A key that arrives just before its admit entry is kept and shown once the entry arrives.
    if (this.group?.tracker.state?.members.some((m) => m.id === member)) this.updateSession((s) => setPresent(s, member, true));
    return true;
  }

  // ---------------------------------------------------------------- sender keys

  /**
   * Makes sure my chain is fresh (rekeyPolicy) and sealed to every present roster member. A stale chain is replaced
   * at once when sending or entering, or in a small session; otherwise (a roster change or the age timer in a session
   * of more than eagerRekeyMaxPresent) it is only wiped, and the next send makes the new one (see
   * EAGER_REKEY_MAX_PRESENT). Resolves when this call's keys were accepted by the relay.
   */
  private async ensureChain(reason: 'session' | 'send' | 'newcomer' | 'roster' | 'age'): Promise<void> {
    const secrets = this.secrets;
    const roster = this.group?.tracker.state;
    if (!secrets || secrets.wiped || !roster || this.state.session?.status !== 'joined') return;
    if (!this.entered || !roster.members.some((m) => m.id === this.me)) return; // resume re-enters, then reconciles
    const now = this.clock.now();
    let sealed: SealedSenderKey[];
    const why = secrets.chain ? needsRekey(secrets.chain, roster, now) : 'session';
    if (why !== null || (secrets.chain && now - secrets.chain.createdAt >= this.rekeyAfterMs)) {
      if (!roster.session?.open || roster.session.id !== secrets.sessionId) return;
      if (reason !== 'send' && reason !== 'session' && (this.state.session?.present.length ?? 0) > this.eagerRekeyMaxPresent) {
        secrets.retireChain(); // lazy: nothing encrypts with the old chain any more; my next send makes a new one
        if (this.rekeyTimer !== null) clearTimeout(this.rekeyTimer);
        this.rekeyTimer = null;
        return;
      }
      sealed = secrets.rekey(roster, now);
      const chain = secrets.chain as NonNullable<SessionSecrets['chain']>;
      this.armRekeyTimer(chain.createdAt);
      this.events.emit('rekeyed', { epoch: chain.epoch, keyId: chain.keyId });
    } else {
      sealed = secrets.sealForNewcomers(roster);
    }
    if (sealed.length === 0) return;
    this.distributionsInFlight += 1;
    const job = this.distributing
      .then(() => this.distribute(secrets, sealed))
      .finally(() => {
        this.distributionsInFlight -= 1;
      });
    this.distributing = job.catch(() => undefined);
    await job;
  }

  /**
   * Sends sealed keys in requests of at most keysRequestBudget bytes (keyChunks.ts). The relay's bound is not known
   * here: when it answers PAYLOAD_TOO_LARGE the budget is halved (for this relay, from now on) and the rest is cut
   * again; a single key refused as too large fails the distribution.
   */
  private async distribute(secrets: SessionSecrets, sealed: SealedSenderKey[]): Promise<void> {
    const ctx = { groupId: secrets.groupId, sessionId: secrets.sessionId };
    let chunks = chunkSealedKeys(ctx, sealed, this.keysRequestBudget);
    let next = 0;
    while (next < chunks.length) {
      const part = chunks[next] as SealedSenderKey[];
      try {
        await this.connection.request('keys.distribute', { ...ctx, sealed: part });
        next += 1;
      } catch (e) {
        if (isKindredError(e, 'PAYLOAD_TOO_LARGE') && part.length > 1) {
          this.keysRequestBudget = Math.min(this.keysRequestBudget, Math.floor(keysRequestBytes(ctx, part) / 2));
          chunks = chunkSealedKeys(ctx, chunks.slice(next).flat(), this.keysRequestBudget);
          next = 0;
          continue;
        }
        // What was not accepted is sealed again on the next send or reconcile (a reconnect re-enters and reconciles),
        // unless the chain was replaced meanwhile (the new one is sealed to everyone anyway).
        for (const s of chunks.slice(next).flat()) if (secrets.chain?.keyId === s.keyId) secrets.sealedTo.delete(s.to);
        throw e;
      }
    }
  }

  private armRekeyTimer(createdAt: number): void {
    if (this.rekeyTimer !== null) clearTimeout(this.rekeyTimer);
    const delay = Math.max(0, createdAt + this.rekeyAfterMs - this.clock.now());
    this.rekeyTimer = setTimeout(() => {
      this.rekeyTimer = null;
      void this.ensureChain('age').catch((e) => this.warnFromError(e, 'rekey'));
    }, delay);
  }

  /** Erases expired skipped keys and ended chains once a minute (the crypto has no timers of its own). */
  private armPruneTimer(): void {
    if (this.pruneTimer !== null) return;
    this.pruneTimer = setTimeout(() => {
      this.pruneTimer = null;
      const secrets = this.secrets;
      const roster = this.group?.tracker.state;
      if (!secrets || secrets.wiped || !roster) return;
      pruneReceiveState(secrets.receive, roster, this.clock.now());
      this.armPruneTimer();
    }, PRUNE_INTERVAL_MS);
  }

  private onSealed(sealed: SealedSenderKey): void {
    const secrets = this.secrets;
    if (!secrets || secrets.wiped || sealed.groupId !== secrets.groupId || sealed.sessionId !== secrets.sessionId) return;
    this.openSealed(secrets, sealed);
  }

  private openSealed(secrets: SessionSecrets, sealed: SealedSenderKey): void {
    const roster = this.group?.tracker.state;
    if (!roster || !roster.members.some((m) => m.id === sealed.from)) {
      secrets.queueSealed(sealed); // may be a newcomer whose admission we have not seen yet
      return;
    }
    try {
      const r = secrets.openSealed(sealed, this.clock.now());
      if (r === 'no-peer-key') return secrets.queueSealed(sealed);
      if (r === 'installed') this.retryPending(secrets);
    } catch (e) {
      this.warnFromError(e, 'sender key');
    }
  }

  private retrySealed(secrets: SessionSecrets): void {
    const queued = secrets.pendingSealed;
    secrets.pendingSealed = [];
    for (const s of queued) this.openSealed(secrets, s);
  }

  private retryPending(secrets: SessionSecrets): void {
    const queued = secrets.pendingEnvelopes;
    secrets.pendingEnvelopes = [];
    for (const env of queued) this.receiveEnvelope(secrets, env);
  }

  // ---------------------------------------------------------------- sending and receiving

  /**
   * Sends my pseudonym when someone present has not had it yet (on entering, and for newcomers), so that a join
   * costs one announcement per member rather than one per member per join.
   */
  private async announceProfile(): Promise<void> {
    const secrets = this.secrets;
    const session = this.state.session;
    if (!secrets || secrets.wiped || !this.displayName || !this.entered || session?.status !== 'joined') return;
    const others = session.present.filter((m) => m !== this.me);
    if (secrets.profileSeenBy.size > 0 && others.every((m) => secrets.profileSeenBy.has(m))) return;
    for (const m of others) secrets.profileSeenBy.add(m);
    if (others.length === 0) secrets.profileSeenBy.add(this.me); // announced to an empty room: newcomers still get it
    await this.sendSignal({ kind: 'profile', name: this.displayName });
  }

  /** Resolves once the session is re-entered after a reconnect; UNAVAILABLE if that takes longer than a request may. */
  private whenEntered(): Promise<void> {
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

  private async sendEnvelope(type: 'chat' | 'signal', plaintext: Uint8Array): Promise<{ envelope: Envelope; seq: number }> {
    try {
      const secrets = this.requireJoined();
      for (let attempt = 1; ; attempt++) {
        if (!this.entered) await this.whenEntered();
        await this.ensureChain('send'); // makes a new chain if needed (a lazy rekey) and waits for the relay to take it
        await this.distributing; // and for any other distribution of mine still under way
        if (secrets.wiped || this.secrets !== secrets) throw new KindredError('SESSION_NOT_OPEN');
        const roster = this.requireRoster();
        const chain = secrets.chain;
        const now = this.clock.now();
        // Checked in the same synchronous turn as the encryption below: a roster entry or a failed distribution that
        // came in while waiting sends us round again, so no message goes on a chain a removed member holds, nor on
        // one whose keys the relay has not accepted.
        const ready =
          chain !== null &&
          needsRekey(chain, roster, now) === null &&
          now - chain.createdAt < this.rekeyAfterMs &&
          this.distributionsInFlight === 0 &&
          !secrets.hasUnsealed(roster);
        if (ready) {
          const policy = roster.policy;
          const ttl = type === 'chat' ? policy.expirySeconds : Math.min(SIGNAL_TTL_SECONDS, policy.expirySeconds);
          const envelope = encryptMessage(chain, { type, ttl }, plaintext);
          const { seq } = await this.connection.request('message.send', { envelope });
          return { envelope, seq };
        }
        if (attempt >= SEND_CHAIN_ATTEMPTS) throw new KindredError('UNAVAILABLE', 'sender key distribution did not settle');
      }
    } finally {
      wipe(plaintext);
    }
  }

  private onRelayed(m: RelayedMessage): void {
    const secrets = this.secrets;
    if (!secrets || secrets.wiped) return;
    const h = m.envelope.header;
    if (h.groupId !== secrets.groupId || h.sessionId !== secrets.sessionId) return;
    // The seq of the latest message in delivery order (not the maximum): a restarted relay counts from 1 again,
    // and a resume must ask for what follows the last thing this device got from the relay it talks to now.
    secrets.lastSeq = m.seq;
    if (this.state.session?.status !== 'joined') return;
    this.receiveEnvelope(secrets, m.envelope);
  }

  private receiveEnvelope(secrets: SessionSecrets, envelope: Envelope): void {
    const g = this.group;
    const roster = g?.tracker.state;
    if (!g || !roster) return;
    if (envelope.header.sender === this.me) return; // my own, echoed or replayed: I keep my plaintext already
    const now = this.clock.now();
    let decrypted: ReturnType<typeof decryptMessage>;
    try {
      decrypted = decryptMessage(secrets.receive, roster, envelope, now, { rosterHashAt: (e) => g.tracker.hashAt(e) });
    } catch (e) {
      if (!isKindredError(e)) return this.warn('INTERNAL', 'message');
      switch (e.code) {
        case 'REPLAY':
        case 'SENDER_MUTED':
          return; // dropped silently: a replay is a duplicate, a muted member's message is ignored
        case 'UNKNOWN_SENDER_KEY':
        case 'EPOCH_AHEAD':
          if (e.code === 'EPOCH_AHEAD') void this.refreshRoster().catch(() => undefined);
          return secrets.queueEnvelope(envelope);
        case 'SENDER_NOT_IN_ROSTER':
          // A removed member's message still in flight is expected; anyone never in the roster is a ghost.
          if (!g.tracker.entriesAfter(-1).some((en) => 'member' in en.body.op && en.body.op.member === envelope.header.sender)) {
            this.warn('SENDER_NOT_IN_ROSTER', 'message');
          }
          return;
        default:
          return this.warn(e.code, 'message');
      }
    }
    const h = decrypted.header;
    let content: ChatContent | SignalContent;
    try {
      content = decodeContent(h.type, decrypted.plaintext);
    } catch (e) {
      return this.warnFromError(e, 'message content');
    } finally {
      wipe(decrypted.plaintext);
    }
    if (content.kind === 'text') {
      this.addChat({
        id: messageId({ sender: h.sender, keyId: h.keyId, counter: h.counter }),
        sender: h.sender,
        text: content.text,
        ...(content.replyTo ? { replyTo: content.replyTo } : {}),
        receivedAt: now,
        expiresAt: now + expiryMs(h.ttl, roster.policy),
        own: false,
      });
    } else {
      this.applySignal(h.sender, content);
    }
  }

  private addChat(message: ChatMessage): void {
    const before = this.state.session;
    this.updateSession((s) => addMessage(s, message));
    if (this.state.session === before) return;
    this.expiry.schedule(message.expiresAt);
    this.events.emit('message', message);
  }

  private expireDue(now: number): void {
    const before = this.state.session?.messages ?? [];
    this.updateSession((s) => expireMessages(s, now));
    const after = new Set((this.state.session?.messages ?? []).map((m) => m.id));
    const ids = before.filter((m) => !after.has(m.id)).map((m) => m.id);
    if (ids.length > 0) this.events.emit('message.expired', { ids });
  }

  private applySignal(from: string, content: SignalContent): void {
    const roster = this.group?.tracker.state ?? null;
    const facilitator = roster !== null && isFacilitator(roster, from);
    switch (content.kind) {
      case 'profile':
        this.updateSession((s) => (s.names[from] === content.name ? s : { ...s, names: { ...s.names, [from]: content.name } }));
        break;
      case 'typing':
        this.updateSession((s) => setTyping(s, from, content.on));
        this.armTyping(from, content.on);
        break;
      case 'hand':
        if (content.member !== undefined && content.member !== from) {
          if (!facilitator || content.raised) return; // only a facilitator may lower someone else's hand
          this.updateSession((s) => setHand(s, content.member as string, false));
        } else {
          this.updateSession((s) => setHand(s, from, content.raised));
        }
        break;
      case 'round.start': {
        if (!facilitator || !roster) return;
        const members = new Set(roster.members.map((m) => m.id));
        const order = content.order.filter((m, i) => members.has(m) && content.order.indexOf(m) === i);
        this.updateSession((s) => startRound(s, { id: content.roundId, kind: content.round, order, startedBy: from }));
        break;
      }
      case 'round.pass': {
        const r = this.state.session?.round;
        if (!r || r.id !== content.roundId) return;
        const holder = r.current === null ? null : r.order[r.current];
        if (!facilitator && holder !== from) return;
        this.updateSession((s) => passRound(s, content.roundId, content.to));
        break;
      }
      case 'round.end':
        if (!facilitator) return;
        this.updateSession((s) => endRound(s, content.roundId));
        break;
      case 'card.updated': {
        const g = this.group;
        if (!g || !roster) return;
        try {
          const card = verifyGroupCard(content.card, roster);
          if (g.card && card.body.revision <= g.card.body.revision) return;
          g.card = card;
          rememberCard(g, card);
          this.publishGroup();
          this.events.emit('card.updated', { card: card.body });
        } catch (e) {
          this.warnFromError(e, 'card update');
        }
        return;
      }
    }
    this.events.emit('signal', { from, content });
  }

  private armTyping(member: string, on: boolean): void {
    const old = this.typingTimers.get(member);
    if (old !== undefined) clearTimeout(old);
    this.typingTimers.delete(member);
    if (!on) return;
    this.typingTimers.set(
      member,
      setTimeout(() => {
        this.typingTimers.delete(member);
        this.updateSession((s) => setTyping(s, member, false));
      }, this.typingTimeoutMs),
    );
  }

  private onDirect(box: ServerPayload<'direct'>['box']): void {
    const secrets = this.secrets;
    const roster = this.group?.tracker.state;
    if (!secrets || secrets.wiped || !roster || box.groupId !== secrets.groupId || box.sessionId !== secrets.sessionId) return;
    if (!isFacilitator(roster, this.me) || !roster.members.some((m) => m.id === box.from)) return;
    const pk = secrets.peers.get(box.from);
    if (!pk) return this.warn('UNKNOWN_SENDER_KEY', 'direct note');
    try {
      const { plaintext } = openDirect(box, pk, secrets.pairwise, { groupId: secrets.groupId, sessionId: secrets.sessionId, me: this.me });
      const content = decodeDirectContent(plaintext);
      wipe(plaintext);
      const note: DirectNote = { id: ++this.directSeq, from: box.from, kind: content.kind, text: content.text, receivedAt: this.clock.now() };
      this.updateSession((s) => ({ ...s, directs: [...s.directs, note] }));
      this.events.emit('direct', note);
    } catch (e) {
      this.warnFromError(e, 'direct note');
    }
  }

  // ---------------------------------------------------------------- presence and knocks

  private onSessionMember(p: ServerPayload<'session.member'>): void {
    const secrets = this.secrets;
    if (!secrets || secrets.wiped || p.groupId !== secrets.groupId || p.sessionId !== secrets.sessionId || p.member === this.me) return;
    const wasPresent = this.isPresent(p.member);
    if (p.present) {
      if (!p.sessionKey) return;
      if (!this.addPeer(secrets, p.member, p.sessionKey)) return;
      this.retrySealed(secrets);
      this.updateSession((s) => removeKnock(s, p.member));
      void this.ensureChain('newcomer')
        .then(() => this.announceProfile())
        .catch((e) => this.warnFromError(e, 'key distribution'));
    } else {
      secrets.removePeer(p.member);
      this.updateSession((s) => setPresent(s, p.member, false));
    }
    // Announce a change of the verified present list only: the relay may repeat a push (admission, re-entry, another
    // node), and a key outside the roster is never shown, not even as a notice.
    const isPresent = this.isPresent(p.member);
    if (isPresent !== wasPresent) this.events.emit('presence', { member: p.member, present: isPresent });
  }

  private isPresent(member: string): boolean {
    return this.state.session?.present.includes(member) ?? false;
  }

  private onKnock(k: Knock): void {
    const g = this.group;
    const roster = g?.tracker.state;
    const secrets = this.secrets;
    if (!g || !roster || !secrets || k.groupId !== g.groupId || k.sessionId !== secrets.sessionId) return;
    if (!isFacilitator(roster, this.me)) return;
    try {
      const current = g.card;
      if (!current) throw new KindredError('NOT_FOUND', 'no card');
      // The knocker accepted the card its invite served: the current one, or an earlier revision we verified.
      const shown = g.knownCards.find((c) => rulesDigest(c.body) === k.acceptance.body.rulesDigest) ?? current;
      const acceptance = verifyAcceptance(k.acceptance, {
        groupId: g.groupId,
        sessionId: secrets.sessionId,
        rulesDigest: rulesDigest(shown.body),
        member: k.member,
        requireAgreement: shown.body.requireSignedAgreement,
      });
      // Checked now so a bad key is flagged at the door; it is taken into the session only when the relay announces
      // the admitted member (session.member), and nothing is sealed to it before the roster admits it.
      verifySessionKey(k.sessionKey, { groupId: g.groupId, sessionId: secrets.sessionId, member: k.member });
      const knocker: Knocker = {
        member: k.member,
        agreement: acceptance.body.agreement,
        rulesDigest: acceptance.body.rulesDigest,
        currentRules: shown === current,
      };
      this.updateSession((s) => addKnock(s, knocker));
      this.events.emit('knock', knocker);
    } catch (e) {
      this.warnFromError(e, 'knock');
    }
  }

  private onSessionClosed(p: ServerPayload<'session.closed'>): void {
    const secrets = this.secrets;
    if (!secrets || p.groupId !== secrets.groupId || p.sessionId !== secrets.sessionId) return;
    this.wipeSession(p.reason, true);
  }

  // ---------------------------------------------------------------- roster

  private async onRosterPush(p: ServerPayload<'roster.entry'>): Promise<void> {
    const g = this.group;
    if (!g || p.groupId !== g.groupId) return;
    if (p.entry.body.epoch > g.tracker.epoch + 1) {
      // A gap: fetch what we missed; the fetched chain includes this entry.
      return this.refreshRoster();
    }
    this.applyRosterEntries([p.entry], 'push');
  }

  /** Verifies and applies entries; a refused chain changes nothing and raises a security warning. */
  private applyRosterEntries(entries: readonly SignedRosterEntry[], source: string): void {
    const g = this.group;
    if (!g) return;
    let fresh: SignedRosterEntry[];
    try {
      fresh = g.tracker.accept(entries);
    } catch (e) {
      this.warnFromError(e, `roster (${source})`);
      return;
    }
    if (fresh.length > 0) this.afterRosterEntries(fresh);
  }

  /** Announces each new entry and reacts: wipe on close/removal, rejoin on admission, rekey, key distribution. */
  private afterRosterEntries(fresh: SignedRosterEntry[]): void {
    const g = this.group;
    const roster = g?.tracker.state;
    if (!g || !roster) return;
    this.publishGroup();
    for (const entry of fresh) {
      const { op, epoch, signer } = entry.body;
      this.events.emit('roster.change', { epoch, signer, op, description: describeRosterOp(op) });
      if (op.type === 'expiry') {
        this.events.emit('expiry.changed', { expirySeconds: op.expirySeconds, by: signer });
        this.applyExpiryPolicy(op.expirySeconds);
      }
    }
    const secrets = this.secrets;
    if (!secrets || secrets.wiped) return;
    const now = this.clock.now();
    const me = roster.members.find((m) => m.id === this.me);
    const wasWaiting = this.state.session?.status === 'waiting';
    if (roster.session?.id !== secrets.sessionId || !roster.session.open) return this.wipeSession('ended', true);
    if (!me && !wasWaiting) return this.wipeSession(roster.banned.includes(this.me) ? 'banned' : 'removed', true);
    pruneReceiveState(secrets.receive, roster, now);
    for (const entry of fresh) {
      const op = entry.body.op;
      if (op.type === 'remove' || op.type === 'ban' || op.type === 'leave') {
        secrets.removePeer(op.member);
        this.updateSession((s) => removeKnock(setPresent(s, op.member, false), op.member));
      } else if (op.type === 'admit' && secrets.peers.has(op.member) && this.state.session?.status === 'joined') {
        this.updateSession((s) => removeKnock(setPresent(s, op.member, true), op.member));
      }
    }
    if (wasWaiting && me) {
      // Admitted: enter again as a member to get the present members' keys.
      void this.enter(secrets).catch((e) => this.warnFromError(e, 'admission'));
      return;
    }
    this.retrySealed(secrets);
    this.retryPending(secrets);
    void this.ensureChain('roster').catch((e) => this.warnFromError(e, 'rekey'));
  }

  /** A stricter group expiry applies to messages already shown (the stricter of sender ttl and policy wins). */
  private applyExpiryPolicy(expirySeconds: number): void {
    const cap = expirySeconds * 1000;
    const session = this.state.session;
    if (!session) return;
    const changed = session.messages.map((m) => (m.receivedAt + cap < m.expiresAt ? { ...m, expiresAt: m.receivedAt + cap } : m));
    if (changed.every((m, i) => m === session.messages[i])) return;
    this.updateSession((s) => ({ ...s, messages: changed }));
    for (const m of changed) this.expiry.schedule(m.expiresAt);
    this.expireDue(this.clock.now());
  }

  // ---------------------------------------------------------------- the session's end

  /** Wipes everything of the session: keys, receive state, plaintexts, timers, acceptance. */
  private wipeSession(reason: 'ended' | 'removed' | 'banned' | 'left', announce: boolean): void {
    const secrets = this.secrets;
    const sessionId = secrets?.sessionId ?? this.state.session?.sessionId;
    secrets?.wipe();
    this.secrets = null;
    this.expiry.clear();
    if (this.rekeyTimer !== null) clearTimeout(this.rekeyTimer);
    this.rekeyTimer = null;
    if (this.pruneTimer !== null) clearTimeout(this.pruneTimer);
    this.pruneTimer = null;
    for (const t of this.typingTimers.values()) clearTimeout(t);
    this.typingTimers.clear();
    if (this.group) this.group.acceptance = null;
    this.publishGroup();
    this.update((s) => (s.session ? { ...s, session: null } : s));
    if (announce && sessionId) this.events.emit('session.closed', { sessionId, reason });
  }
}

function rememberCard(g: GroupContext, card: SignedGroupCard): void {
  if (g.knownCards.some((c) => c.body.revision === card.body.revision && c.sig === card.sig)) return;
  g.knownCards = [...g.knownCards, card].slice(-20);
}
