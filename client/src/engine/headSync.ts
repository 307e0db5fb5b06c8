/**
 * Members agree on the roster in-band (protocol v2, docs/PROTOCOL.md part B, "Roster head"). Every verified header
 * and sealed key states its sender's roster head; this module acts on it with the pure rules of HeadWatch
 * (shared/src/crypto/headWatch.ts):
 *
 * - a sender behind me gets the signed entries it lacks in a peer box (member to member, between session keys);
 * - a head ahead of mine is proof of a newer roster: fetch it from the relay at once, ask the peers present after
 *   ASK_PEERS_AFTER_MS, and after WITHHELD_AFTER_MS warn ("the server may be withholding changes to this group") and
 *   refuse to send until it arrives; meanwhile messages are held (messaging.ts asks `holds`);
 * - a facilitator who made a change sees, per member present, whether that member has stated a head at or after
 *   it, and is warned about those who have not within WITHHELD_AFTER_MS.
 */
import { HeadWatch, WITHHELD_AFTER_MS, ASK_PEERS_AFTER_MS, isFacilitator, memberMaySend, openPeer, sealPeer, type Head } from '@kindred/shared/crypto';
import { KindredError, isKindredError } from '@kindred/shared/errors';
import { MAX_PEER_ENTRIES, type PeerBox, type SignedRosterEntry } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import type { SessionSecrets } from './sessionSecrets';

export class HeadSync {
  private readonly watch = new HeadWatch();
  private gapTimer: ReturnType<typeof setTimeout> | null = null;
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** The highest head epoch each member has stated to me in this session (the acknowledgements). */
  private readonly stated = new Map<string, number>();

  /** `fetchRoster` asks the relay (rosterSync); `acceptEntries` verifies and applies entries from a peer. */
  constructor(
    private readonly ctx: EngineContext,
    private readonly fetchRoster: () => Promise<void>,
    private readonly acceptEntries: (entries: SignedRosterEntry[], source: string) => void,
  ) {
    ctx.onWipe(() => {
      this.watch.reset();
      this.stated.clear();
      this.clearTimers();
    });
  }

  /** True while the relay may be withholding a newer roster past the bound: nothing is sent until it arrives. */
  get withheld(): boolean {
    return this.watch.withheld;
  }

  /** Refuses a send while withheld (ROSTER_WITHHELD). */
  assertMaySend(): void {
    if (this.watch.withheld) throw new KindredError('ROSTER_WITHHELD');
  }

  /** Whether a message stating `stated` waits unopened: I know of a newer roster than it states and lack it. */
  holds(stated: Head): boolean {
    return this.watch.holds(stated);
  }

  /**
   * A head `from` stated in something verified (a header after its signature, an opened sealed key). Records it as
   * that member's acknowledgement, and acts: send it what it lacks, or fetch what I lack.
   */
  observe(from: string, stated: Head): void {
    const ctx = this.ctx;
    const mine = this.mine();
    const tracker = ctx.group?.tracker;
    if (!mine || !tracker || from === ctx.me) return;
    this.noteAck(from, stated.epoch);
    let verdict;
    try {
      verdict = this.watch.observe(mine, stated, from, ctx.clock.now(), (e) => tracker.hashAt(e));
    } catch (e) {
      return ctx.warnFromError(e, 'stated roster head');
    }
    if (verdict.kind === 'behind') return this.sendEntries(from, verdict.since);
    if (verdict.kind === 'ahead') {
      this.publishGap();
      void this.fetchRoster().catch(() => undefined);
      this.armGapTimer();
    }
  }

  /** My roster moved: a gap it closes is cleared (sending resumes). */
  onRosterAdvanced(): void {
    const mine = this.mine();
    const tracker = this.ctx.group?.tracker;
    if (!mine || !tracker) return;
    try {
      this.watch.caughtUp(mine, (e) => tracker.hashAt(e));
    } catch (e) {
      this.ctx.warnFromError(e, 'stated roster head');
    }
    if (!this.watch.proof && this.gapTimer !== null) {
      clearTimeout(this.gapTimer);
      this.gapTimer = null;
    }
    this.publishGap();
  }

  /** I appended an entry: from now on, show who present has acknowledged it. */
  madeChange(epoch: number): void {
    const ctx = this.ctx;
    const roster = ctx.group?.tracker.state;
    if (!roster || ctx.lazyRekeyPending(roster)) return; // members announce nothing then (messaging.announceHead)
    // A member who may not send (muted) cannot state a head to me: its acknowledgement is not waited for.
    const others = (ctx.state.session?.present ?? []).filter((m) => m !== ctx.me && memberMaySend(roster, m));
    const madeAt = ctx.clock.now();
    ctx.updateSession((s) => ({
      ...s,
      rosterAcks: { epoch, madeAt, members: others.map((member) => ({ member, acked: (this.stated.get(member) ?? -1) >= epoch, overdue: false })) },
    }));
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.ackTimer = setTimeout(() => this.ackBoundPassed(epoch), WITHHELD_AFTER_MS);
  }

  /** A peer box pushed by the relay: entries I lack (verified by the tracker), or a request for mine. */
  onPeerBox(box: PeerBox): void {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const roster = ctx.group?.tracker.state;
    if (!secrets || secrets.wiped || !roster) return;
    const pk = secrets.peers.get(box.from);
    if (!pk || !roster.members.some((m) => m.id === box.from)) return; // from outside my roster: not a peer
    let opened;
    try {
      opened = openPeer(box, pk, secrets.pairwise, { groupId: secrets.groupId, sessionId: secrets.sessionId, me: ctx.me });
    } catch (e) {
      return ctx.warnFromError(e, 'peer box');
    }
    const content = opened.content;
    if (content.kind === 'entries') this.acceptEntries(content.entries, 'peer');
    else this.sendEntries(opened.from, content.since);
  }

  private mine(): Head | null {
    const roster = this.ctx.group?.tracker.state;
    return roster ? { epoch: roster.epoch, hash: roster.head } : null;
  }

  private noteAck(member: string, epoch: number): void {
    if ((this.stated.get(member) ?? -1) >= epoch) return;
    this.stated.set(member, epoch);
    const acks = this.ctx.state.session?.rosterAcks;
    if (!acks || epoch < acks.epoch || !acks.members.some((m) => m.member === member && !m.acked)) return;
    this.ctx.updateSession((s) =>
      s.rosterAcks ? { ...s, rosterAcks: { ...s.rosterAcks, members: s.rosterAcks.members.map((m) => (m.member === member ? { ...m, acked: true, overdue: false } : m)) } } : s,
    );
  }

  private ackBoundPassed(epoch: number): void {
    this.ackTimer = null;
    const acks = this.ctx.state.session?.rosterAcks;
    if (!acks || acks.epoch !== epoch) return;
    const late = acks.members.filter((m) => !m.acked && this.ctx.isPresent(m.member));
    if (late.length === 0) return;
    this.ctx.updateSession((s) =>
      s.rosterAcks ? { ...s, rosterAcks: { ...s.rosterAcks, members: s.rosterAcks.members.map((m) => (late.some((l) => l.member === m.member) ? { ...m, overdue: true } : m)) } } : s,
    );
    this.ctx.warn('HEAD_NOT_ACKNOWLEDGED', `${late.length} member(s) present`);
  }

  /** Sends `to` the entries after `since` that I hold (at most MAX_PEER_ENTRIES; it asks again for more). */
  private sendEntries(to: string, since: number): void {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const tracker = ctx.group?.tracker;
    if (!secrets || secrets.wiped || !tracker || !ctx.entered) return;
    const entries = tracker.entriesAfter(since).slice(0, MAX_PEER_ENTRIES);
    const pk = secrets.peers.get(to);
    if (entries.length === 0 || !pk || !this.watch.maySendTo(to, ctx.clock.now())) return;
    this.sendBox(secrets, to, pk, { kind: 'entries', entries });
  }

  private askPeers(): void {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const roster = ctx.group?.tracker.state;
    const proof = this.watch.proof;
    if (!secrets || secrets.wiped || !roster || !proof) return;
    // The member that stated the head first, then the facilitators present (who made the change, most likely).
    const order = [proof.from, ...roster.members.filter((m) => isFacilitator(roster, m.id)).map((m) => m.id)];
    for (const member of new Set(order)) {
      const pk = secrets.peers.get(member);
      if (pk && member !== ctx.me) this.sendBox(secrets, member, pk, { kind: 'head-request', since: roster.epoch });
    }
  }

  private sendBox(secrets: SessionSecrets, to: string, sessionPk: Uint8Array, content: Parameters<typeof sealPeer>[3]): void {
    const ctx = this.ctx;
    try {
      const box = sealPeer(secrets.pairwise, { member: to, sessionPk }, { groupId: secrets.groupId, sessionId: secrets.sessionId, from: ctx.me }, content);
      void ctx.connection.request('peer.send', { box }).catch((e: unknown) => {
        if (!isKindredError(e, 'NOT_FOUND')) ctx.warnFromError(e, 'peer box');
      });
    } catch (e) {
      ctx.warnFromError(e, 'peer box');
    }
  }

  private armGapTimer(): void {
    const proof = this.watch.proof;
    if (!proof || this.watch.withheld || this.gapTimer !== null) return;
    const now = this.ctx.clock.now();
    const next = now - proof.since < ASK_PEERS_AFTER_MS ? proof.since + ASK_PEERS_AFTER_MS : proof.since + WITHHELD_AFTER_MS;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = null;
      this.onGapTimer();
    }, Math.max(0, next - now));
  }

  private onGapTimer(): void {
    for (let due = this.watch.due(this.ctx.clock.now()); due !== null; due = this.watch.due(this.ctx.clock.now())) {
      if (due === 'ask-peers') {
        void this.fetchRoster().catch(() => undefined); // the relay once more, and the peers
        this.askPeers();
      } else {
        this.publishGap();
        this.ctx.warn('ROSTER_WITHHELD', `roster epoch ${this.watch.proof?.head.epoch ?? '?'}`);
      }
    }
    this.armGapTimer();
  }

  private publishGap(): void {
    const proof = this.watch.proof;
    const gap = proof ? { epoch: proof.head.epoch, since: proof.since, withheld: this.watch.withheld } : null;
    this.ctx.updateSession((s) => {
      const old = s.rosterGap;
      if (old === gap || (old && gap && old.epoch === gap.epoch && old.since === gap.since && old.withheld === gap.withheld)) return s;
      return { ...s, rosterGap: gap };
    });
  }

  private clearTimers(): void {
    if (this.gapTimer !== null) clearTimeout(this.gapTimer);
    if (this.ackTimer !== null) clearTimeout(this.ackTimer);
    this.gapTimer = null;
    this.ackTimer = null;
  }
}
