/**
 * Opening, closing, entering, resuming and leaving a session: a fresh session key per session (kept across
 * reconnects of that session), the acceptance of this session's rules, and the catch-up on entering (present
 * members' keys, knocks, sealed keys, missed messages), after which my chain is made and sealed.
 */
import { knockProofHash, randomBytes, signKnockProof, wipe } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { KindredError } from '@kindred/shared/errors';
import type { SessionSnapshot } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import type { Introductions } from './introductions';
import type { KeyDistribution } from './keyDistribution';
import type { Messaging } from './messaging';
import type { Presence } from './presence';
import type { RosterSync } from './rosterSync';
import { SessionSecrets } from './sessionSecrets';
import { readSnapshot, takeSnapshot } from './sessionSnapshot';
import { emptySession, setPresent } from './state';

export class SessionEntry {
  constructor(
    private readonly ctx: EngineContext,
    private readonly roster: RosterSync,
    private readonly keys: KeyDistribution,
    private readonly messaging: Messaging,
    private readonly presence: Presence,
    private readonly introductions: Introductions,
  ) {}

  /** Facilitators: opens a new session (a roster entry with a fresh random session id). */
  async openSession(): Promise<string> {
    const sessionId = toBase64Url(randomBytes(16));
    await this.roster.appendRoster({ type: 'sessionOpen', sessionId });
    return sessionId;
  }

  /** Facilitators: closes the open session; every device wipes it. */
  async closeSession(): Promise<void> {
    const session = this.ctx.requireRoster().session;
    if (!session?.open) throw new KindredError('SESSION_NOT_OPEN');
    await this.roster.appendRoster({ type: 'sessionClose', sessionId: session.id });
  }

  /** Enters the open session with a fresh session key and this session's acceptance. */
  async enterSession(): Promise<'joined' | 'waiting'> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    const roster = ctx.requireRoster();
    const session = roster.session;
    if (!session?.open) throw new KindredError('SESSION_NOT_OPEN');
    if (!g.acceptance || g.acceptance.body.sessionId !== session.id) throw new KindredError('RULES_NOT_ACCEPTED');
    if (ctx.secrets && (ctx.secrets.sessionId !== session.id || ctx.secrets.wiped)) ctx.wipeSession('ended', false);
    if (!ctx.secrets) {
      const record = ctx.recordFor(g.groupId, session.id);
      ctx.adoptSecrets(new SessionSecrets(g.groupId, session.id, ctx.me, g.acceptance, ctx.identity, record, ctx.nextGeneration()));
    }
    return this.enter(ctx.secrets as SessionSecrets);
  }

  /** What a reloaded tab needs to take its place back (kindredClient.ts, sessionSnapshot); null outside a joined session. */
  snapshot(): SessionSnapshot | null {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    if (!secrets || secrets.wiped || !secrets.enteredOnce || ctx.state.session?.status !== 'joined') return null;
    return takeSnapshot(secrets, ctx.installRecord, this.messaging.waitingToSend());
  }

  /**
   * A reloaded tab takes its place back (sessionSnapshot.ts): the same session key (remade from its seed and
   * generation), the acceptance it signed for this session, its install record; then it enters with lastSeq 0, so the
   * relay hands back everything it still buffers, opened with the sealed keys the tab kept. Needs the group open
   * (openInvite or reopenGroup) with the snapshot's session open in the verified roster (SESSION_NOT_OPEN otherwise).
   */
  async restoreSession(raw: unknown): Promise<'joined' | 'waiting'> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    const open = ctx.requireRoster().session;
    if (!open?.open) throw new KindredError('SESSION_NOT_OPEN');
    const { snapshot, seed, record } = readSnapshot(raw, { me: ctx.me, groupId: g.groupId, sessionId: open.id });
    if (ctx.secrets) ctx.wipeSession('ended', false);
    g.acceptance = snapshot.acceptance;
    ctx.publishGroup();
    ctx.installRecord = record;
    const secrets = new SessionSecrets(g.groupId, open.id, ctx.me, snapshot.acceptance, ctx.identity, record, snapshot.generation, seed);
    wipe(seed);
    secrets.lastSeq = 0; // everything the relay still buffers
    secrets.restoring = { sealed: snapshot.sealed, shown: snapshot.shown, waiting: snapshot.waiting ?? [] };
    for (const [id, expiresAt] of snapshot.shown) secrets.shown.set(id, expiresAt);
    ctx.adoptSecrets(secrets);
    ctx.update((s) => ({ ...s, entering: true, closedReason: null }));
    // What was written and not yet sent before the reload: shown again on entry (after the replay), posted once entered.
    const kept = snapshot.waiting ?? [];
    try {
      return await this.enter(secrets);
    } finally {
      // Also when the entry failed after it got in (a key distribution that did not settle): the outbox waits for it.
      if (ctx.secrets === secrets && ctx.entered) this.messaging.resendKept(secrets, kept);
      ctx.update((s) => (s.entering ? { ...s, entering: false } : s));
    }
  }

  /** Leaves the session (this device only); everything of the session is wiped here. */
  async leaveSession(): Promise<void> {
    const g = this.ctx.requireGroup();
    try {
      await this.ctx.connection.request('session.leave', { groupId: g.groupId });
    } finally {
      this.ctx.wipeSession('left', true);
    }
  }

  async enter(secrets: SessionSecrets): Promise<'joined' | 'waiting'> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    const member = ctx.requireRoster().members.some((m) => m.id === ctx.me);
    // A knocker proves to the facilitators (not to the relay) that it holds the invite: its knock signed with the
    // invite's key. The introduction names this proof, so a name goes only on this knock.
    const knockProof =
      !member && g.invite
        ? signKnockProof(g.invite.signingKey, g.invite.inviteId, {
            groupId: g.groupId,
            sessionId: secrets.sessionId,
            member: ctx.me,
            acceptance: secrets.acceptance,
            sessionKey: secrets.signedKey,
          })
        : undefined;
    secrets.knockProofHash = knockProof ? knockProofHash(knockProof) : undefined;
    const res = await ctx.connection.request('session.enter', {
      groupId: g.groupId,
      sessionId: secrets.sessionId,
      acceptance: secrets.acceptance,
      sessionKey: secrets.signedKey,
      ...(knockProof && g.invite ? { inviteId: g.invite.inviteId, gateToken: g.invite.gateToken, knockProof } : {}),
      ...(secrets.lastSeq !== undefined ? { lastSeq: secrets.lastSeq } : {}),
    });
    if (ctx.secrets !== secrets) throw new KindredError('SESSION_NOT_OPEN', 'session ended while entering');
    if (res.status === 'joined') ctx.markEntered();
    else ctx.entered = false;
    const prevStatus = ctx.state.session?.sessionId === secrets.sessionId ? ctx.state.session.status : null;
    ctx.update((s) => ({
      ...s,
      session: s.session?.sessionId === secrets.sessionId ? { ...s.session, status: res.status } : emptySession(g.groupId, secrets.sessionId, res.status),
    }));
    if (prevStatus !== res.status) {
      if (res.status === 'joined') ctx.logEvent({ kind: 'joined' });
      ctx.events.emit('session.status', { sessionId: secrets.sessionId, status: res.status });
    }
    if (res.status === 'waiting') {
      // The facilitators present learn this device's pseudonym, privately; a failure does not undo the knock.
      await this.introductions.introduce(secrets, res.present);
      return 'waiting';
    }

    for (const p of res.present) this.presence.addPeer(secrets, p.member, p.sessionKey);
    this.presence.keepOnly(secrets, new Set(res.present.map((p) => p.member))); // who left while I was away
    ctx.updateSession((s) => setPresent(s, ctx.me, true));
    for (const k of res.waiting) this.presence.onKnock(k);
    // On the first entry with this session key, nobody can have sealed anything to it yet: what the relay kept for
    // this member id was sealed to an earlier key (the same person on a tab that closed). Those fail to open and
    // are dropped without a warning; a forged one gains a dishonest relay nothing it could not do by dropping.
    const fresh = !secrets.enteredOnce;
    secrets.enteredOnce = true;
    const restoring = secrets.restoring;
    if (restoring) this.keys.reopenKept(secrets, restoring.sealed);
    for (const sealed of res.sealed) this.keys.openSealed(secrets, sealed, fresh ? (restoring ? 'restored' : 'fresh') : 'current');
    // A device that has received nothing yet resumes after a drop from the seq at its entry (without a lastSeq the
    // relay replays nothing). A message pushed before this answer has set lastSeq already.
    if (secrets.lastSeq === undefined && res.seq !== undefined) secrets.lastSeq = res.seq;
    const missed = [...res.missed].sort((a, b) => a.seq - b.seq);
    secrets.replaying = restoring !== null;
    try {
      for (const m of missed) this.messaging.onRelayed(m);
    } finally {
      secrets.replaying = false;
    }
    if (restoring) {
      // After the replay, which turned what went out before the reload into sent messages: the rest waits again, and
      // the snapshot taken just below keeps it.
      this.messaging.showKept(restoring.waiting);
      this.reportGone(secrets, restoring.shown);
    }
    ctx.snapshotChanged();
    this.keys.armPruneTimer();
    await this.keys.ensureChain('session');
    await this.messaging.announceProfile().catch((e) => ctx.warnFromError(e, 'profile'));
    return 'joined';
  }

  /** A reloaded tab: the messages it showed, still unexpired, that the relay no longer had (one line in the log). */
  private reportGone(secrets: SessionSecrets, shown: [string, number][]): void {
    const ctx = this.ctx;
    secrets.restoring = null;
    const now = ctx.clock.now();
    const back = new Set((ctx.state.session?.messages ?? []).map((m) => m.id));
    const gone = shown.filter(([id, expiresAt]) => expiresAt > now && !back.has(id)).length;
    if (gone > 0) ctx.logEvent({ kind: 'history-gone', count: gone });
  }

  /**
   * After a reconnect: catch up on the roster, then re-enter the session with lastSeq (same key, same acceptance).
   * A relay that cannot answer yet (UNAVAILABLE: a node it asks is paused, or it is catching up) leaves nothing of the
   * attempt behind; Resumption (resumption.ts) tries again with backoff and shows the failures meanwhile.
   */
  async resume(): Promise<void> {
    const ctx = this.ctx;
    const g = ctx.group;
    if (!g) return;
    await this.roster.refreshRoster();
    const secrets = ctx.secrets;
    if (!secrets || secrets.wiped) return;
    const roster = g.tracker.state;
    if (!roster?.session?.open || roster.session.id !== secrets.sessionId) return ctx.wipeSession('ended', true);
    await this.enter(secrets);
  }
}
