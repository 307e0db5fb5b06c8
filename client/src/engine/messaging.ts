/**
 * Chat and signals over my sender-key chain: encrypting and sending (only on a fresh chain the relay has accepted),
 * receiving and decrypting what the relay forwards (from unmuted roster members only), announcing my pseudonym,
 * and expiring messages at their instant.
 */
import { decryptMessage, encryptMessage, memberMaySend, needsRekey, randomBytes, stateHead, wipe } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { KindredError, isKindredError } from '@kindred/shared/errors';
import {
  MAX_KEPT_WAITING,
  MAX_TEXT_LENGTH,
  decodeContent,
  encodeContent,
  type ChatContent,
  type Envelope,
  type MessageRef,
  type RelayedMessage,
  type SignalContent,
  type WaitingToSend,
} from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import type { HeadSync } from './headSync';
import { ExpiryScheduler } from './expiry';
import type { KeyDistribution } from './keyDistribution';
import type { SessionSecrets } from './sessionSecrets';
import type { Signals } from './signals';
import type { Outbox } from './outbox';
import { addMessage, capExpiry, dropWaiting, expireMessages, expiryMs, markSent, messageId, type ChatMessage } from './state';

/** Signals (typing, hands, rounds) live at most this long: they are state changes, not conversation. */
const SIGNAL_TTL_SECONDS = 60;
/** A send re-checks its chain after waiting for key distribution this many times before giving up (UNAVAILABLE). */
const SEND_CHAIN_ATTEMPTS = 3;

export class Messaging {
  private readonly expiry: ExpiryScheduler;

  /** `refreshRoster` catches up on the roster when a message is from an epoch ahead of mine (rosterSync). */
  constructor(
    private readonly ctx: EngineContext,
    private readonly keys: KeyDistribution,
    private readonly signals: Signals,
    private readonly outbox: Outbox,
    private readonly refreshRoster: () => Promise<void>,
    private readonly heads: HeadSync,
  ) {
    this.expiry = new ExpiryScheduler(ctx.clock, (now) => this.expireDue(now));
    ctx.onWipe(() => this.expiry.clear());
  }

  /**
   * Sends a chat message to the session. MUTED locally when the roster mutes me (the relay refuses too). The message
   * is shown at once as waiting to send, and goes out through the outbox (outbox.ts): after an outage, in order and
   * once. Resolves when the relay took it; rejects (and the message leaves the log) when it is refused or the session
   * ends first.
   */
  async send(text: string, replyTo?: MessageRef): Promise<ChatMessage> {
    const ctx = this.ctx;
    if (text.length === 0 || text.length > MAX_TEXT_LENGTH) throw new KindredError('BAD_REQUEST', 'text length');
    const secrets = ctx.requireJoined();
    const roster = ctx.requireRoster();
    if (!memberMaySend(roster, ctx.me)) throw new KindredError('MUTED');
    this.heads.assertMaySend(); // ROSTER_WITHHELD: nothing is written while a newer roster is withheld from me
    const clientId = toBase64Url(randomBytes(16));
    secrets.noteClientId(ctx.me, clientId);
    const writtenAt = ctx.clock.now();
    return this.deliver(secrets, { clientId, text, ...(replyTo ? { replyTo } : {}), writtenAt, expiresAt: writtenAt + roster.policy.expirySeconds * 1000 });
  }

  /**
   * My chat messages still waiting to send, as a reload keeps them (sessionSnapshot.ts), in the order written, at most
   * MAX_KEPT_WAITING (the oldest first: they go out first).
   */
  waitingToSend(): WaitingToSend[] {
    const waiting = (this.ctx.state.session?.messages ?? []).filter((m) => m.waiting && m.clientId !== undefined);
    return waiting.slice(0, MAX_KEPT_WAITING).map((m) => ({
      clientId: m.clientId!, // filtered just above
      text: m.text,
      ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      writtenAt: m.receivedAt,
      expiresAt: m.expiresAt,
    }));
  }

  /**
   * A reloaded tab: what it had written and not yet sent is shown again as waiting to send (and so kept by every
   * snapshot taken meanwhile) before the re-entry; `resendKept` posts it once entered.
   */
  showKept(kept: readonly WaitingToSend[]): void {
    for (const w of kept) this.show(w);
    if (kept.length > 0) this.ctx.snapshotChanged();
  }

  /**
   * After the re-entry of a reloaded tab: posts what `showKept` showed, each once, in order. One that went out before
   * the reload came back in the relay's replay (its client message id is known now, and its waiting line became the
   * sent message) and is not posted again; one that expired meanwhile is never sent. Failures are 'error' events.
   */
  resendKept(secrets: SessionSecrets, kept: readonly WaitingToSend[]): void {
    for (const w of kept) {
      if (!secrets.noteClientId(this.ctx.me, w.clientId)) continue;
      this.post(secrets, w).catch((e: unknown) => this.ctx.warnFromError(e, 'message written before the reload'));
    }
  }

  /** Shows `w` at once as waiting to send and posts it through the outbox (post below). */
  private deliver(secrets: SessionSecrets, w: WaitingToSend): Promise<ChatMessage> {
    this.show(w);
    this.ctx.snapshotChanged(); // a reload now would keep it
    return this.post(secrets, w);
  }

  /** `w` as a waiting line of the log. */
  private waitingLine(w: WaitingToSend): ChatMessage {
    return {
      id: `${this.ctx.me}:waiting:${w.clientId}`,
      clientId: w.clientId,
      sender: this.ctx.me,
      text: w.text,
      ...(w.replyTo ? { replyTo: w.replyTo } : {}),
      receivedAt: w.writtenAt,
      expiresAt: w.expiresAt,
      own: true,
      waiting: true,
    };
  }

  /** Adds `w`'s waiting line to the log (unless it is there already), with its expiry scheduled. */
  private show(w: WaitingToSend): void {
    this.ctx.updateSession((s) => addMessage(s, this.waitingLine(w)));
    this.expiry.schedule(w.expiresAt);
  }

  /**
   * Posts `w` (shown as its waiting line) through the outbox (in order, once, until it expires). Resolves with the message as sent; rejects
   * (and it leaves the log) when it is refused, expires or the session ends first.
   */
  private async post(secrets: SessionSecrets, w: WaitingToSend): Promise<ChatMessage> {
    const ctx = this.ctx;
    const waiting = this.waitingLine(w);
    const content: ChatContent = { kind: 'text', text: w.text, ...(w.replyTo ? { replyTo: w.replyTo } : {}), id: w.clientId };
    let envelope: Envelope;
    try {
      ({ envelope } = await this.outbox.post({
        envelope: null,
        expiresAt: waiting.expiresAt,
        encrypt: () => this.encryptWhenReady('chat', () => encodeContent('chat', content), 'unbounded', waiting.expiresAt),
      }));
    } catch (e) {
      if (ctx.secrets === secrets) {
        ctx.updateSession((s) => dropWaiting(s, waiting.id));
        ctx.snapshotChanged();
      }
      throw e;
    }
    const { waiting: _sent, ...sent } = waiting;
    const sentAt = ctx.clock.now();
    const message: ChatMessage = {
      ...sent,
      id: messageId({ sender: ctx.me, keyId: envelope.header.keyId, counter: envelope.header.counter }),
      receivedAt: sentAt,
      expiresAt: sentAt + envelope.header.ttl * 1000,
    };
    if (ctx.secrets === secrets) {
      secrets.noteShown(message.id, message.expiresAt);
      ctx.updateSession((s) => markSent(s, waiting.id, message));
      this.expiry.schedule(message.expiresAt);
      ctx.events.emit('message', message);
    }
    return message;
  }

  /** Sends a signal (presence, typing, hands, rounds, card update) to the session. */
  async sendSignal(content: SignalContent): Promise<void> {
    const envelope = await this.encryptWhenReady('signal', () => encodeContent('signal', content), 'bounded');
    await this.ctx.connection.request('message.send', { envelope });
    this.signals.apply(this.ctx.me, content);
  }

  /**
   * Sends my pseudonym when someone present has not had it yet (on entering, and for newcomers), so that a join
   * costs one announcement per member rather than one per member per join.
   */
  async announceProfile(): Promise<void> {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const session = ctx.state.session;
    if (!secrets || secrets.wiped || !ctx.displayName || !ctx.entered || session?.status !== 'joined') return;
    const others = session.present.filter((m) => m !== ctx.me);
    if (secrets.profileSeenBy.size > 0 && others.every((m) => secrets.profileSeenBy.has(m))) return;
    for (const m of others) secrets.profileSeenBy.add(m);
    if (others.length === 0) secrets.profileSeenBy.add(ctx.me); // announced to an empty room: newcomers still get it
    await this.sendSignal({ kind: 'profile', name: ctx.displayName });
  }

  /**
   * Encrypts on my chain once it is fresh and the relay has accepted its keys. Waits for the session to be entered:
   * within the request timeout ('bounded', signals: a typing hint is worthless later) or for as long as it takes
   * ('unbounded', chat through the outbox, until `expiresAt`: its ttl is the time left, EXPIRED once none is).
   */
  private async encryptWhenReady(type: 'chat' | 'signal', encode: () => Uint8Array, wait: 'bounded' | 'unbounded', expiresAt?: number): Promise<Envelope> {
    const ctx = this.ctx;
    const secrets = ctx.requireJoined();
    for (let attempt = 1; ; attempt++) {
      if (!ctx.entered) await (wait === 'bounded' ? ctx.whenEntered() : ctx.untilEntered());
      await this.keys.ensureChain('send'); // makes a new chain if needed (a lazy rekey) and waits for the relay to take it
      await this.keys.settled(); // and for any other distribution of mine still under way
      if (secrets.wiped || ctx.secrets !== secrets) throw new KindredError('SESSION_NOT_OPEN');
      const roster = ctx.requireRoster();
      const chain = secrets.chain;
      const now = ctx.clock.now();
      // Checked in the same synchronous turn as the encryption below: a roster entry or a failed distribution that
      // came in while waiting sends us round again, so no message goes on a chain a removed member holds, nor on
      // one whose keys the relay has not accepted.
      const ready =
        chain !== null &&
        ctx.entered &&
        needsRekey(chain, roster, now) === null &&
        now - chain.createdAt < ctx.rekeyAfterMs &&
        !this.keys.inFlight &&
        !secrets.hasUnsealed(roster);
      if (ready) {
        const policy = roster.policy;
        // A chat message that waited (offline) keeps only the time it has left: it expires when it would have anyway.
        const left = expiresAt === undefined ? policy.expirySeconds : Math.ceil((expiresAt - now) / 1000);
        if (left <= 0) throw new KindredError('EXPIRED', 'the message expired before it could be sent');
        const ttl = type === 'chat' ? Math.min(policy.expirySeconds, left) : Math.min(SIGNAL_TTL_SECONDS, policy.expirySeconds);
        this.heads.assertMaySend(); // a newer roster is being withheld from me: say nothing until I have it
        stateHead(chain, { epoch: roster.epoch, hash: roster.head }); // every message states the roster I hold now
        const plaintext = encode();
        try {
          return encryptMessage(chain, { type, ttl }, plaintext);
        } finally {
          wipe(plaintext);
        }
      }
      if (attempt >= SEND_CHAIN_ATTEMPTS) throw new KindredError('UNAVAILABLE', 'sender key distribution did not settle');
    }
  }

  /**
   * "I hold this roster": a signal whose header states my head, sent on accepting new entries, so that a facilitator
   * sees my acknowledgement and anyone behind learns a newer roster exists. Best effort.
   */
  announceHead(): void {
    const ctx = this.ctx;
    const roster = ctx.group?.tracker.state;
    if (!ctx.entered || ctx.state.session?.status !== 'joined' || !roster?.members.some((m) => m.id === ctx.me)) return;
    if (ctx.lazyRekeyPending(roster)) return; // my next message states it; no rekey of everyone at once for this
    void this.sendSignal({ kind: 'head' }).catch(() => undefined);
  }

  /** A message the relay forwards (pushed, or missed and replayed on entering). */
  onRelayed(m: RelayedMessage): void {
    const secrets = this.ctx.secrets;
    if (!secrets || secrets.wiped) return;
    const h = m.envelope.header;
    if (h.groupId !== secrets.groupId || h.sessionId !== secrets.sessionId) return;
    // The seq of the latest message in delivery order (not the maximum): a restarted relay counts from 1 again,
    // and a resume must ask for what follows the last thing this device got from the relay it talks to now.
    secrets.lastSeq = m.seq;
    if (this.ctx.state.session?.status !== 'joined') return;
    this.receiveEnvelope(secrets, m.envelope);
  }

  receiveEnvelope(secrets: SessionSecrets, envelope: Envelope): void {
    const ctx = this.ctx;
    const g = ctx.group;
    const roster = g?.tracker.state;
    if (!g || !roster) return;
    // My own, echoed or replayed: I keep my plaintext already. Except in a reloaded tab, which kept my chains sealed to
    // itself (sessionSecrets.ts) to read back, as mine, what I wrote before the reload.
    if (envelope.header.sender === ctx.me && !secrets.receive.getChain(ctx.me, envelope.header.keyId)) return;
    const stated = { epoch: envelope.header.headEpoch, hash: envelope.header.headHash };
    // I know of a newer roster than the sender states and lack it: its sender cannot be judged yet.
    if (this.heads.holds(stated)) return secrets.queueEnvelope(envelope);
    const now = ctx.clock.now();
    let decrypted: ReturnType<typeof decryptMessage>;
    try {
      decrypted = decryptMessage(secrets.receive, roster, envelope, now, { rosterHashAt: (e) => g.tracker.hashAt(e), stateAt: (e) => g.tracker.stateAt(e) });
    } catch (e) {
      if (!isKindredError(e)) return ctx.warn('INTERNAL', 'message');
      switch (e.code) {
        case 'REPLAY':
        case 'SENDER_MUTED':
          return; // dropped silently: a replay is a duplicate, a muted member's message is ignored
        case 'HEAD_AHEAD':
          // Thrown after the signature: the sender's own statement, proof that a newer roster exists.
          this.heads.observe(envelope.header.sender, stated);
          return secrets.queueEnvelope(envelope);
        case 'UNKNOWN_SENDER_KEY':
        case 'EPOCH_AHEAD':
          // Kept until the key or the roster epoch it needs arrives.
          if (e.code === 'EPOCH_AHEAD') void this.refreshRoster().catch(() => undefined);
          return secrets.queueEnvelope(envelope);
        case 'COUNTER_TOO_OLD':
          // Refused, and no sign of an attack: a message encrypted before my key was sealed (a newcomer, or one that
          // crossed its sealed key), or past its skipped key's lifetime. A replay of a used counter is REPLAY.
          return ctx.events.emit('error', { code: e.code, context: 'message' });
        case 'STALE_EPOCH':
          // A reloaded tab's replay of the relay's buffer holds messages from before the last rekey (a removal, a
          // leave): refused as ever, and no attack; counted among those no longer available. Otherwise a warning.
          if (!secrets.replaying) return ctx.warn(e.code, 'message');
          return ctx.events.emit('error', { code: e.code, context: 'message' });
        case 'HEAD_TOO_OLD':
          // Signed, and too far behind to judge: refused, and the sender is sent what it lacks.
          this.heads.observe(envelope.header.sender, stated);
          return ctx.events.emit('error', { code: e.code, context: 'message' });
        case 'SENDER_NOT_IN_ROSTER':
          // A removed member's message still in flight is expected; anyone never in the roster is a ghost.
          if (!g.tracker.entriesAfter(-1).some((en) => 'member' in en.body.op && en.body.op.member === envelope.header.sender)) {
            ctx.warn('SENDER_NOT_IN_ROSTER', 'message');
          }
          return;
        default:
          return ctx.warn(e.code, 'message');
      }
    }
    const h = decrypted.header;
    this.heads.observe(h.sender, stated); // its acknowledgement; and the entries it lacks if it is behind me
    let content: ChatContent | SignalContent;
    try {
      content = decodeContent(h.type, decrypted.plaintext);
    } catch (e) {
      return ctx.warnFromError(e, 'message content');
    } finally {
      wipe(decrypted.plaintext);
    }
    if (content.kind === 'text') {
      // A copy of a message shown already (its sender encrypted it again after a lost answer): dropped silently.
      if (content.id !== undefined && !secrets.noteClientId(h.sender, content.id)) return;
      const id = messageId({ sender: h.sender, keyId: h.keyId, counter: h.counter });
      // Shown before a reload: it keeps the expiry it had, and one that expired meanwhile is never shown again.
      const expiresAt = secrets.shown.get(id) ?? now + expiryMs(h.ttl, roster.policy);
      if (expiresAt <= now) return;
      this.addChat({
        id,
        ...(content.id !== undefined ? { clientId: content.id } : {}),
        sender: h.sender,
        text: content.text,
        ...(content.replyTo ? { replyTo: content.replyTo } : {}),
        receivedAt: now,
        expiresAt,
        own: h.sender === ctx.me,
      });
    } else {
      this.signals.apply(h.sender, content);
    }
  }

  private addChat(message: ChatMessage): void {
    const before = this.ctx.state.session;
    this.ctx.updateSession((s) => addMessage(s, message));
    if (this.ctx.state.session === before) return;
    this.ctx.secrets?.noteShown(message.id, message.expiresAt);
    this.expiry.schedule(message.expiresAt);
    this.ctx.events.emit('message', message);
  }

  private expireDue(now: number): void {
    const before = this.ctx.state.session?.messages ?? [];
    this.ctx.updateSession((s) => expireMessages(s, now));
    const after = new Set((this.ctx.state.session?.messages ?? []).map((m) => m.id));
    const ids = before.filter((m) => !after.has(m.id)).map((m) => m.id);
    if (ids.length > 0) this.ctx.events.emit('message.expired', { ids });
  }

  /** A stricter group expiry applies to messages already shown (the stricter of sender ttl and policy wins). */
  applyExpiryPolicy(expirySeconds: number): void {
    const session = this.ctx.state.session;
    if (!session) return;
    const changed = capExpiry(session.messages, expirySeconds * 1000);
    if (changed === session.messages) return;
    this.ctx.updateSession((s) => ({ ...s, messages: changed }));
    for (const m of changed) {
      this.ctx.secrets?.noteShown(m.id, m.expiresAt);
      this.expiry.schedule(m.expiresAt);
    }
    this.expireDue(this.ctx.clock.now());
  }
}
