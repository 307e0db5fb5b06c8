/**
 * Private notes to the facilitators present ("I'm struggling", a breach report): one pairwise box to each, opened
 * only by a facilitator and only from a roster member whose session key this device holds. A note received is
 * deleted at its arrival + the group's expiry, as messages are (a stricter expiry set later applies to it too).
 *
 * Read receipts go back the same way: a facilitator who marks a note read boxes `{kind: 'read-receipt', noteId}` to
 * the member who wrote it; the member takes a receipt only from a facilitator of its verified roster, and only for a
 * note it sent in this session. The other facilitators present get `{kind: 'note-read', noteId, author}`, so the note
 * stops asking for their attention too; they take it only from a facilitator, for a note they hold from that author.
 * The relay sees small boxes between opaque ids, never which note.
 */
import { isFacilitator, openDirect, randomBytes, sealDirect, sealToFacilitators, wipe, type RosterState, type SenderKeyRecipient } from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { KindredError } from '@kindred/shared/errors';
import { decodeDirectContent, encodeDirectContent, type DirectBox, type DirectContent, type ServerPayload } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import { ExpiryScheduler } from './expiry';
import type { SessionSecrets } from './sessionSecrets';
import { capExpiry, expireDirects, type DirectNote } from './state';

export class DirectNotes {
  private directSeq = 0;
  private readonly expiry: ExpiryScheduler;

  constructor(private readonly ctx: EngineContext) {
    this.expiry = new ExpiryScheduler(ctx.clock, (now) => ctx.updateSession((s) => expireDirects(s, now)));
    ctx.onWipe(() => this.expiry.clear());
  }

  /** A private note to every facilitator present: one box each. Returns how many were sent. */
  async send(kind: 'struggling' | 'breach-report', text: string): Promise<number> {
    const ctx = this.ctx;
    const secrets = ctx.requireJoined();
    const roster = ctx.requireRoster();
    const recipients = facilitatorsPresent(secrets, roster, []);
    if (recipients.length === 0) throw new KindredError('NOT_FOUND', 'no facilitator present');
    const noteId = toBase64Url(randomBytes(16));
    const boxCtx = { groupId: secrets.groupId, sessionId: secrets.sessionId, from: ctx.me };
    const boxes = boxed({ kind, text, noteId }, (plaintext) => sealToFacilitators(secrets.pairwise, roster, recipients, boxCtx, plaintext));
    for (const box of boxes) await ctx.connection.request('direct.send', { box });
    ctx.updateSession((s) => ({ ...s, sentNotes: [...s.sentNotes, { noteId, kind, sentAt: ctx.clock.now(), readAt: null }].slice(-50) }));
    return boxes.length;
  }

  /**
   * Facilitators: marks a note read here and tells, in boxes, the member who wrote it (when still present) and the
   * other facilitators present.
   */
  async acknowledge(id: number): Promise<void> {
    const ctx = this.ctx;
    const secrets = ctx.requireJoined();
    const roster = ctx.requireRoster();
    const note = ctx.state.session?.directs.find((d) => d.id === id);
    if (!note) throw new KindredError('NOT_FOUND', 'no such note');
    if (note.readAt === null) {
      const readAt = ctx.clock.now();
      ctx.updateSession((s) => ({ ...s, directs: s.directs.map((d) => (d.id === id ? { ...d, readAt, readBy: ctx.me } : d)) }));
    }
    if (!note.noteId) return;
    const boxCtx = { groupId: secrets.groupId, sessionId: secrets.sessionId, from: ctx.me };
    // The other facilitators first, and each box on its own: a member who has just left (NOT_FOUND for its receipt)
    // must not keep the note unread on the other facilitators' devices.
    const others = facilitatorsPresent(secrets, roster, [ctx.me, note.from]);
    const author = secrets.peers.get(note.from);
    const boxes: DirectBox[] = [
      ...(others.length > 0 ? boxed({ kind: 'note-read', noteId: note.noteId, author: note.from }, (p) => sealToFacilitators(secrets.pairwise, roster, others, boxCtx, p)) : []),
      ...(author ? boxed({ kind: 'read-receipt', noteId: note.noteId }, (p) => [sealDirect(secrets.pairwise, { member: note.from, sessionPk: author }, boxCtx, p)]) : []),
    ];
    const sent = await Promise.allSettled(boxes.map((box) => ctx.connection.request('direct.send', { box })));
    const failed = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  onDirect(box: ServerPayload<'direct'>['box']): void {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const roster = ctx.group?.tracker.state;
    if (!secrets || secrets.wiped || !roster || box.groupId !== secrets.groupId || box.sessionId !== secrets.sessionId) return;
    if (!roster.members.some((m) => m.id === box.from)) return;
    // A facilitator reads notes; a member reads only receipts, and only from a facilitator.
    if (!isFacilitator(roster, ctx.me) && !isFacilitator(roster, box.from)) return;
    const pk = secrets.peers.get(box.from);
    if (!pk) return ctx.warn('UNKNOWN_SENDER_KEY', 'direct note');
    try {
      const { plaintext } = openDirect(box, pk, secrets.pairwise, { groupId: secrets.groupId, sessionId: secrets.sessionId, me: ctx.me });
      const content = decodeDirectContent(plaintext);
      wipe(plaintext);
      // Members name themselves with the profile signal; an introduction is for the waiting room (introductions.ts).
      if (content.kind === 'introduction') return;
      if (content.kind === 'read-receipt') {
        if (!isFacilitator(roster, box.from)) return;
        const readAt = ctx.clock.now();
        ctx.updateSession((s) =>
          s.sentNotes.some((n) => n.noteId === content.noteId && n.readAt === null)
            ? { ...s, sentNotes: s.sentNotes.map((n) => (n.noteId === content.noteId && n.readAt === null ? { ...n, readAt } : n)) }
            : s,
        );
        return;
      }
      if (!isFacilitator(roster, ctx.me)) return;
      if (content.kind === 'note-read') return isFacilitator(roster, box.from) ? this.readElsewhere(box.from, content.author, content.noteId) : undefined;
      const receivedAt = ctx.clock.now();
      const note: DirectNote = {
        id: ++this.directSeq,
        from: box.from,
        kind: content.kind,
        text: content.text,
        receivedAt,
        expiresAt: receivedAt + roster.policy.expirySeconds * 1000,
        ...(content.noteId ? { noteId: content.noteId } : {}),
        readAt: null,
      };
      ctx.updateSession((s) => ({ ...s, directs: [...s.directs, note] }));
      this.expiry.schedule(note.expiresAt);
      ctx.events.emit('direct', note);
    } catch (e) {
      ctx.warnFromError(e, 'direct note');
    }
  }

  /** A co-facilitator read `author`'s note `noteId` (the caller checked that `by` is a facilitator, and I am one). */
  private readElsewhere(by: string, author: string, noteId: string): void {
    const readAt = this.ctx.clock.now();
    const mine = (d: DirectNote) => d.from === author && d.noteId === noteId && d.readAt === null;
    this.ctx.updateSession((s) => (s.directs.some(mine) ? { ...s, directs: s.directs.map((d) => (mine(d) ? { ...d, readAt, readBy: by } : d)) } : s));
  }

  /** A stricter group expiry applies to the notes already shown. */
  applyExpiryPolicy(expirySeconds: number): void {
    const ctx = this.ctx;
    const session = ctx.state.session;
    if (!session) return;
    const changed = capExpiry(session.directs, expirySeconds * 1000);
    if (changed === session.directs) return;
    for (const d of changed) this.expiry.schedule(d.expiresAt);
    ctx.updateSession((s) => expireDirects({ ...s, directs: changed }, ctx.clock.now()));
  }
}

/** The facilitators of the verified roster whose session key this device holds, but for `except`. */
function facilitatorsPresent(secrets: SessionSecrets, roster: RosterState, except: readonly string[]): SenderKeyRecipient[] {
  const out: SenderKeyRecipient[] = [];
  for (const [member, sessionPk] of secrets.peers) if (!except.includes(member) && isFacilitator(roster, member)) out.push({ member, sessionPk });
  return out;
}

/** `content` encoded, boxed by `seal`, and its plaintext wiped whatever happens. */
function boxed(content: DirectContent, seal: (plaintext: Uint8Array) => DirectBox[]): DirectBox[] {
  const plaintext = encodeDirectContent(content);
  try {
    return seal(plaintext);
  } finally {
    wipe(plaintext);
  }
}
