/**
 * The one place that maps the real engine (KindredClient, client/src/engine) onto what the stores use
 * (EngineLike). It derives the screen's phase from the engine's state, keeps the few things the engine leaves to
 * its UI (the invite links made in this tab, which members were verified here, the change log with names), and
 * installs the identity crypto of shared/src/crypto. Everything it holds is in memory and dropped by `wipe()`.
 */
import {
  generateIdentity,
  initCrypto,
  safetyNumberQrPayload,
  unwrapIdentity,
  wipe as wipeBytes,
  wrapIdentity,
  type IdentityKeyPair,
} from '@kindred/shared/crypto';
import type { RosterOp } from '@kindred/shared/protocol';
import { KindredClient, roleOf, type EngineState } from '../engine';
import { indexedDbKeyStore } from '../identity/keyStore';
import { configureIdentity } from './identityStore';
import { setEngineFactory } from './engineHost';
import type {
  ChatMessageView,
  CreateGroupInput,
  DirectKind,
  EngineLike,
  EnginePhase,
  EngineSnapshot,
  InviteView,
  MemberView,
  NoticeView,
  SafetyNumberView,
  SignalInput,
} from './engineLike';
import { EMPTY_SNAPSHOT } from './engineLike';
import { formatDuration } from '../ui/format';

type ClosedReason = EngineSnapshot['closedReason'];

export interface PendingNotice {
  id: string;
  at: number;
  kind: NoticeView['kind'];
  text: (name: (id: string) => string) => string;
}

/** What the adapter keeps beside the engine state (all in memory). */
export interface AdapterExtras {
  entering: boolean;
  closedReason: ClosedReason;
  invites: InviteView[];
  verified: ReadonlySet<string>;
  /** Change-log lines; worded when the snapshot is made, so names that arrive later are used. */
  notices: PendingNotice[];
  talk: { memberId: string; messages: number; chars: number }[];
}

/** Pure: the snapshot the stores see, from the engine state and the adapter's extras. */
export function toSnapshot(state: EngineState, extras: AdapterExtras): EngineSnapshot {
  const group = state.group;
  const roster = group?.roster ?? null;
  const session = state.session;
  const me = state.me;
  const myRole = roleOf(roster, me);

  let phase: EnginePhase;
  if (extras.closedReason && !session) phase = 'closed';
  else if (!group) phase = 'idle';
  else if (session?.status === 'joined') phase = 'in-session';
  else if (session?.status === 'waiting') phase = 'waiting';
  else if (extras.entering) phase = 'entering';
  else if (roster?.session?.open) phase = group.acceptedSession === roster.session.id ? 'accepted' : 'card';
  else phase = group.card ? 'no-session' : 'idle';

  const present = new Set(session?.present ?? []);
  const typing = new Set(session?.typing ?? []);
  const hands = new Set(session?.hands ?? []);
  const names = session?.names ?? {};
  const members: MemberView[] = (roster?.members ?? []).map((m) => ({
    memberId: m.id,
    displayName: names[m.id] ?? '',
    role: m.role,
    muted: m.muted,
    present: present.has(m.id),
    typing: typing.has(m.id),
    handRaised: hands.has(m.id),
    verified: extras.verified.has(m.id),
  }));

  const messages: ChatMessageView[] = (session?.messages ?? []).map((m) => ({
    id: m.id,
    sender: m.sender,
    text: m.text,
    receivedAt: m.receivedAt,
    expiresAt: m.expiresAt,
  }));

  const round = session?.round ?? null;
  const card = group?.card ?? null;

  return {
    phase,
    me,
    myRole,
    card: card
      ? {
          groupId: card.groupId,
          name: card.name,
          groundRules: card.groundRules,
          codeOfConduct: card.codeOfConduct,
          confidentialityLimits: card.confidentialityLimits,
          crisisResources: card.crisisResources,
          expirySeconds: roster?.policy.expirySeconds ?? card.expirySeconds,
          requireSignedAgreement: card.requireSignedAgreement,
        }
      : null,
    session:
      roster?.session?.open && session
        ? {
            sessionId: roster.session.id,
            locked: roster.locked,
            slowModeSeconds: roster.policy.slowModeSeconds,
            muteAllButFacilitators: roster.policy.muteAllButFacilitators,
            expirySeconds: roster.policy.expirySeconds,
          }
        : null,
    closedReason: phase === 'closed' ? extras.closedReason : null,
    roster: members,
    messages,
    // "you" mid-sentence ("Ana muted you."), "You" when the line starts with it ("You let Bo in.").
    notices: extras.notices.map((n) => ({ id: n.id, at: n.at, kind: n.kind, text: capitalize(n.text((id) => (id === me ? 'you' : names[id] ?? `Member ${id.slice(0, 5)}`))) })),
    waiting: (session?.knocks ?? []).map((k) => ({ memberId: k.member, displayName: k.name ?? names[k.member] ?? '', signedAgreement: k.agreement })),
    hands: session?.hands ?? [],
    round: round
      ? {
          kind: round.kind,
          holder: round.current === null ? null : (round.order[round.current] ?? null),
          queue: round.current === null ? [] : round.order.slice(round.current),
        }
      : null,
    directs: (session?.directs ?? []).map((d) => ({ id: String(d.id), from: d.from, kind: d.kind, text: d.text, at: d.receivedAt })),
    talkShare: extras.talk,
    invites: extras.invites,
    epochCode: group?.epochCode ?? null,
    connection: state.connection === 'ready' ? 'ready' : state.connection === 'disconnected' ? 'reconnecting' : 'connecting',
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A roster change in plain words, with the names known in this session. */
export function describeChange(op: RosterOp, signer: string, name: (id: string) => string): string {
  const who = name(signer);
  switch (op.type) {
    case 'genesis':
      return `${who} created the group.`;
    case 'admit':
      return `${who} let ${name(op.member)} in.`;
    case 'remove':
      return `${who} removed ${name(op.member)}.`;
    case 'leave':
      return `${name(op.member)} left the group.`;
    case 'ban':
      return `${who} banned ${name(op.member)}.`;
    case 'unban':
      return `${who} lifted the ban on ${name(op.member)}.`;
    case 'role':
      return op.role === 'facilitator' ? `${who} made ${name(op.member)} a co-facilitator.` : `${who} made ${name(op.member)} a member.`;
    case 'mute':
      return `${who} muted ${name(op.member)}.`;
    case 'unmute':
      return `${who} unmuted ${name(op.member)}.`;
    case 'muteAll':
      return op.on ? `${who} muted everyone but the facilitators.` : `${who} let everyone write again.`;
    case 'lock':
      return op.on ? `${who} locked the session to new arrivals.` : `${who} unlocked the session.`;
    case 'expiry':
      return `${who} changed how long messages last: they now disappear after ${formatDuration(op.expirySeconds)}.`;
    case 'slowMode':
      return op.seconds === 0 ? `${who} turned slow mode off.` : `${who} turned slow mode on: one message every ${formatDuration(op.seconds)}.`;
    case 'sessionOpen':
      return `${who} opened the session.`;
    case 'sessionClose':
      return `${who} closed the circle.`;
  }
}

const NOTICE_KIND: Partial<Record<RosterOp['type'], NoticeView['kind']>> = {
  expiry: 'expiry',
  mute: 'moderation',
  unmute: 'moderation',
  muteAll: 'moderation',
  lock: 'moderation',
  slowMode: 'moderation',
  sessionOpen: 'session',
  sessionClose: 'session',
};

/** Adapts one KindredClient. Created synchronously once libsodium is ready (the identity store awaits it). */
export class EngineAdapter implements EngineLike {
  private readonly client: KindredClient;
  private readonly listeners = new Set<() => void>();
  private extras: AdapterExtras = { entering: false, closedReason: null, invites: [], verified: new Set(), notices: [], talk: [] };
  private snapshot: EngineSnapshot = EMPTY_SNAPSHOT;
  private lastState: EngineState | null = null;
  private connecting: Promise<void> | null = null;
  private noticeSeq = 0;
  private displayName = '';
  private wiped = false;

  constructor(client: KindredClient) {
    this.client = client;
    client.subscribe(() => this.refresh());
    client.on('roster.change', ({ op, signer }) => {
      if (op.type === 'genesis') return;
      this.notice(NOTICE_KIND[op.type] ?? 'roster', (name) => describeChange(op, signer, name));
    });
    client.on('presence', ({ member, present }) => this.notice('roster', (name) => `${name(member)} ${present ? 'joined' : 'left'} the session.`));
    client.on('security.warning', (w) => this.notice('key', () => `Security warning: ${w.message} Compare safety numbers before sharing anything sensitive.`));
    client.on('session.status', ({ status }) => {
      if (status === 'joined') this.notice('session', () => 'You are in the session. Messages are end-to-end encrypted.');
    });
    client.on('session.closed', ({ reason }) => {
      this.extras = { ...this.extras, closedReason: reason, notices: [], talk: [], entering: false };
      this.refresh(true);
    });
    this.refresh(true);
  }

  private notice(kind: NoticeView['kind'], text: PendingNotice['text']): void {
    const n: PendingNotice = { id: String(++this.noticeSeq), at: Date.now(), kind, text };
    // Notices are part of the session: bounded, and dropped with it.
    this.extras = { ...this.extras, notices: [...this.extras.notices, n].slice(-200) };
    this.refresh(true);
  }

  private refresh(force = false): void {
    if (this.wiped) return;
    const state = this.client.getState();
    if (!force && state === this.lastState) return;
    this.lastState = state;
    this.extras = { ...this.extras, talk: this.client.talkShare().map((t) => ({ memberId: t.member, messages: t.messages, chars: t.characters })) };
    this.snapshot = toSnapshot(state, this.extras);
    for (const l of [...this.listeners]) l();
  }

  private setExtras(patch: Partial<AdapterExtras>): void {
    this.extras = { ...this.extras, ...patch };
    this.refresh(true);
  }

  private connected(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.client.connect().catch((e: unknown) => {
        this.connecting = null;
        throw e;
      });
    }
    return this.connecting;
  }

  getState(): EngineSnapshot {
    return this.snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async createGroup(input: CreateGroupInput): Promise<void> {
    await this.connected();
    this.displayName = input.displayName;
    this.client.setDisplayName(input.displayName);
    const { displayName: _d, expirySeconds, ...fields } = input;
    const { inviteId, fragment } = await this.client.createGroup(fields, { expirySeconds, slowModeSeconds: 0, muteAllButFacilitators: false });
    this.setExtras({ invites: [...this.extras.invites, { inviteId, fragment, revoked: false }], closedReason: null });
  }

  async createInvite(): Promise<InviteView> {
    await this.connected();
    const { inviteId, fragment } = await this.client.createInvite();
    const invite = { inviteId, fragment, revoked: false };
    this.setExtras({ invites: [...this.extras.invites, invite] });
    return invite;
  }

  async revokeInvite(inviteId: string): Promise<void> {
    await this.connected();
    await this.client.revokeInvite(inviteId);
    this.setExtras({ invites: this.extras.invites.map((i) => (i.inviteId === inviteId ? { ...i, revoked: true } : i)) });
  }

  async openInvite(fragment: string): Promise<void> {
    await this.connected();
    await this.client.openInvite(fragment);
    this.setExtras({ closedReason: null });
  }

  async acceptRules(agreement: boolean): Promise<void> {
    this.client.acceptRules(agreement);
    this.refresh(true);
  }

  async enter(displayName: string): Promise<void> {
    this.displayName = displayName;
    this.client.setDisplayName(displayName);
    this.setExtras({ entering: true, closedReason: null });
    try {
      await this.connected();
      await this.client.enterSession();
    } finally {
      this.setExtras({ entering: false });
    }
  }

  /** Facilitators: open a session, accept their own rules for it, and enter it. */
  async openSession(): Promise<void> {
    await this.connected();
    this.setExtras({ closedReason: null, notices: [] });
    await this.client.openSession();
    this.client.acceptRules(true);
    await this.enter(this.displayName || 'Facilitator');
  }

  async closeSession(): Promise<void> {
    await this.client.closeSession();
  }

  async admit(memberId: string): Promise<void> {
    await this.client.admit(memberId);
  }
  async deny(memberId: string): Promise<void> {
    this.client.deny(memberId);
  }
  mute(memberId: string): Promise<void> {
    return this.client.mute(memberId);
  }
  unmute(memberId: string): Promise<void> {
    return this.client.unmute(memberId);
  }
  muteAll(on: boolean): Promise<void> {
    return this.client.muteAll(on);
  }
  remove(memberId: string): Promise<void> {
    return this.client.remove(memberId);
  }
  ban(memberId: string): Promise<void> {
    return this.client.ban(memberId);
  }
  promote(memberId: string): Promise<void> {
    return this.client.promote(memberId);
  }
  lock(on: boolean): Promise<void> {
    return this.client.lock(on);
  }
  slowMode(seconds: number): Promise<void> {
    return this.client.slowMode(seconds);
  }
  expiry(seconds: number): Promise<void> {
    return this.client.setExpiry(seconds);
  }

  async send(text: string): Promise<void> {
    await this.client.send(text);
  }

  async sendSignal(signal: SignalInput): Promise<void> {
    switch (signal.type) {
      case 'typing':
        return this.client.setTyping(signal.on);
      case 'hand':
        return signal.raised ? this.client.raiseHand() : this.client.lowerHand();
      case 'round-start':
        await this.client.startRound(signal.kind, signal.order.length > 0 ? signal.order : undefined);
        return;
      case 'round-pass':
        return this.client.passStick(signal.to);
      case 'round-end':
        return this.client.endRound();
    }
  }

  async sendDirect(kind: DirectKind, text: string): Promise<void> {
    await this.client.sendDirect(kind, text);
  }

  safetyNumber(memberId: string): SafetyNumberView {
    return { digits: this.client.safetyNumber(memberId), qrPayload: safetyNumberQrPayload(this.client.me, memberId) };
  }

  markVerified(memberId: string): void {
    this.setExtras({ verified: new Set([...this.extras.verified, memberId]) });
  }

  acknowledgeClosed(): void {
    this.setExtras({ closedReason: null, notices: [] });
  }

  wipe(): void {
    this.wiped = true;
    this.listeners.clear();
    this.extras = { entering: false, closedReason: null, invites: [], verified: new Set(), notices: [], talk: [] };
    this.snapshot = EMPTY_SNAPSHOT;
    this.lastState = null;
    this.client.close();
  }
}

/** Installs the real engine and the identity crypto (called once by main.tsx). */
export function installRealEngine(): void {
  configureIdentity({
    crypto: {
      ready: initCrypto,
      generate: generateIdentity,
      wrap: (ik, passphrase) => wrapIdentity(ik, passphrase),
      unwrap: (wrapped, passphrase) => unwrapIdentity(wrapped, passphrase),
      wipe: (ik: IdentityKeyPair) => wipeBytes(ik.secretKey),
    },
    keyStore: indexedDbKeyStore,
  });
  // The relay serves this page, so its origin is the relay's (the CSP allows connect-src 'self' only).
  setEngineFactory((identity) => new EngineAdapter(new KindredClient({ url: window.location.origin, identity })));
}
