/**
 * Keeps the verified roster in step with the relay: fetches and follows entries (every one through RosterTracker;
 * a refused chain changes nothing and raises a security warning), appends my own signed entries, and reacts to
 * each new entry (announce, wipe on close or removal, re-enter on admission, rekey, retry what waited).
 */
import { pruneReceiveState, signRosterEntry } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import type { RosterOp, ServerPayload, SignedRosterEntry } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import type { KeyDistribution } from './keyDistribution';
import type { SessionSecrets } from './sessionSecrets';
import { dropKnocksVia, removeKnock, setPresent } from './state';

export class RosterSync {
  /** `enter` re-enters the session once a waiting device is admitted (sessionEntry). */
  constructor(
    private readonly ctx: EngineContext,
    private readonly keys: KeyDistribution,
    /** A facilitator set a stricter or looser expiry: what is already shown follows a stricter one. */
    private readonly expiryPolicyChanged: (expirySeconds: number) => void,
    private readonly enter: (secrets: SessionSecrets) => Promise<unknown>,
    /** My roster moved (headSync clears a gap and the new head is announced); `own` is the epoch of my own entry. */
    private readonly advanced: (own: number | null) => void,
  ) {}

  /** Loads the roster of a group this device is a member of (after a restart of the app), without an invite. */
  async refreshRoster(): Promise<void> {
    const g = this.ctx.requireGroup();
    const res = await this.ctx.connection.request('roster.get', { groupId: g.groupId, sinceEpoch: g.tracker.epoch });
    if (res.entries.length > 0) this.applyRosterEntries(res.entries, 'roster.get');
  }

  /**
   * Signs `op` on top of the verified roster (refused locally when the rules forbid it), appends it at the relay
   * and applies it. On CONFLICT (another facilitator appended first) it catches up and tries once more.
   */
  async appendRoster(op: RosterOp): Promise<void> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    for (let attempt = 0; ; attempt++) {
      const entry = signRosterEntry(ctx.requireRoster(), op, ctx.identity);
      try {
        await ctx.connection.request('roster.append', { groupId: g.groupId, entry });
      } catch (e) {
        if (attempt === 0 && isKindredError(e, 'CONFLICT')) {
          await this.refreshRoster();
          continue;
        }
        throw e;
      }
      this.applyRosterEntries([entry], 'own');
      this.advanced(entry.body.epoch);
      return;
    }
  }

  async onRosterPush(p: ServerPayload<'roster.entry'>): Promise<void> {
    const g = this.ctx.group;
    if (!g || p.groupId !== g.groupId) return;
    if (p.entry.body.epoch > g.tracker.epoch + 1) {
      // A gap: fetch what we missed; the fetched chain includes this entry.
      return this.refreshRoster();
    }
    this.applyRosterEntries([p.entry], 'push');
  }

  /** Entries a peer sent in-band (headSync): verified like any others. */
  acceptEntries(entries: readonly SignedRosterEntry[], source: string): void {
    this.applyRosterEntries(entries, source);
  }

  /** Verifies and applies entries; a refused chain changes nothing and raises a security warning. */
  private applyRosterEntries(entries: readonly SignedRosterEntry[], source: string): void {
    const g = this.ctx.group;
    if (!g) return;
    let fresh: SignedRosterEntry[];
    try {
      fresh = g.tracker.accept(entries);
    } catch (e) {
      this.ctx.warnFromError(e, `roster (${source})`);
      return;
    }
    if (fresh.length > 0) this.afterRosterEntries(fresh);
  }

  /** Announces each new entry and reacts: wipe on close/removal, rejoin on admission, rekey, key distribution. */
  afterRosterEntries(fresh: SignedRosterEntry[]): void {
    const ctx = this.ctx;
    const g = ctx.group;
    const roster = g?.tracker.state;
    if (!g || !roster) return;
    ctx.publishGroup();
    for (const entry of fresh) {
      const { op, epoch, signer } = entry.body;
      if (op.type !== 'genesis') ctx.logEvent({ kind: 'roster', op, signer });
      ctx.events.emit('roster.change', { epoch, signer, op });
      if (op.type === 'expiry') {
        ctx.events.emit('expiry.changed', { expirySeconds: op.expirySeconds, by: signer });
        this.expiryPolicyChanged(op.expirySeconds);
      }
    }
    const secrets = ctx.secrets;
    if (!secrets || secrets.wiped) return;
    const now = ctx.clock.now();
    const me = roster.members.find((m) => m.id === ctx.me);
    // A knocker is waiting from the moment it knocked (its proof made), before the relay's answer sets the status:
    // an entry that overtakes the answer (another newcomer admitted at once) does not read as its own removal.
    const wasWaiting = ctx.state.session?.status === 'waiting' || (secrets.knockProofHash !== undefined && ctx.state.session?.status !== 'joined');
    if (roster.session?.id !== secrets.sessionId || !roster.session.open) return ctx.wipeSession('ended', true);
    if (!me && !wasWaiting) return ctx.wipeSession(roster.banned.includes(ctx.me) ? 'banned' : 'removed', true);
    pruneReceiveState(secrets.receive, roster, now);
    for (const entry of fresh) {
      const op = entry.body.op;
      if (op.type === 'remove' || op.type === 'ban' || op.type === 'leave') {
        secrets.removePeer(op.member);
        ctx.updateSession((s) => removeKnock(setPresent(s, op.member, false), op.member));
      } else if (op.type === 'inviteRevoke') {
        ctx.updateSession((s) => dropKnocksVia(s, op.inviteId));
      } else if (op.type === 'admit' && secrets.peers.has(op.member) && ctx.state.session?.status === 'joined') {
        ctx.updateSession((s) => removeKnock(setPresent(s, op.member, true), op.member));
      }
    }
    if (wasWaiting && me) {
      // Admitted: enter again as a member to get the present members' keys.
      void this.enter(secrets).catch((e) => ctx.warnFromError(e, 'admission'));
      return;
    }
    this.advanced(null); // before the retries: a closed gap releases what it held
    this.keys.retrySealed(secrets);
    this.keys.retryPending(secrets);
    void this.keys.ensureChain('roster').catch((e) => ctx.warnFromError(e, 'rekey'));
  }
}
