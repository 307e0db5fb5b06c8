/**
 * Who is in the session: peers' session keys (verified, shown present only when the verified roster has them),
 * the relay's presence and session-closed pushes, and knocks at the waiting room (checked at the door).
 */
import { isFacilitator, knockProofHash, rulesDigest, verifyAcceptance, verifyKnockProof, verifySessionKey, type RosterInvite } from '@kindred/shared/crypto';
import { KindredError, isKindredError } from '@kindred/shared/errors';
import type { Knock, ServerPayload, SignedKnockProof } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import type { Introductions } from './introductions';
import type { KeyDistribution } from './keyDistribution';
import type { Messaging } from './messaging';
import type { SessionSecrets } from './sessionSecrets';
import { addKnock, removeKnock, setPresent, type Knocker } from './state';

export class Presence {
  constructor(
    private readonly ctx: EngineContext,
    private readonly keys: KeyDistribution,
    private readonly messaging: Messaging,
    private readonly introductions: Introductions,
    private readonly refreshRoster: () => Promise<void>,
  ) {}

  /** Takes a peer's session key (a warning and false when it does not verify). */
  addPeer(secrets: SessionSecrets, member: string, signed: Parameters<SessionSecrets['addPeer']>[1]): boolean {
    const ctx = this.ctx;
    if (member === ctx.me) return true;
    try {
      secrets.addPeer(member, signed);
    } catch (e) {
      ctx.warnFromError(e, 'session key');
      return false;
    }
    // Shown as present only when the verified roster has it: the relay's word makes nobody a participant (a ghost
    // stays invisible). A key that arrives just before its admit entry is kept and shown once the entry arrives.
    if (ctx.group?.tracker.state?.members.some((m) => m.id === member)) ctx.updateSession((s) => setPresent(s, member, true));
    return true;
  }

  /** On a re-entry: members shown present whom the relay no longer counts left while this device was away. */
  keepOnly(secrets: SessionSecrets, present: ReadonlySet<string>): void {
    const ctx = this.ctx;
    for (const member of ctx.state.session?.present ?? []) {
      if (member === ctx.me || present.has(member)) continue;
      secrets.removePeer(member);
      ctx.updateSession((s) => setPresent(s, member, false));
      ctx.events.emit('presence', { member, present: false });
    }
  }

  onSessionMember(p: ServerPayload<'session.member'>): void {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    if (!secrets || secrets.wiped || p.groupId !== secrets.groupId || p.sessionId !== secrets.sessionId || p.member === ctx.me) return;
    const wasPresent = ctx.isPresent(p.member);
    // Waiting: a facilitator's arrival is told to the waiting room, to be introduced to (checked there).
    if (p.present && p.sessionKey) this.introductions.onFacilitatorArrived({ member: p.member, sessionKey: p.sessionKey });
    if (p.present) {
      if (!p.sessionKey) return;
      if (!this.addPeer(secrets, p.member, p.sessionKey)) return;
      this.keys.retrySealed(secrets);
      ctx.updateSession((s) => removeKnock(s, p.member));
      void this.keys
        .ensureChain('newcomer')
        .then(() => this.messaging.announceProfile())
        .catch((e) => ctx.warnFromError(e, 'key distribution'));
    } else {
      secrets.removePeer(p.member);
      ctx.updateSession((s) => setPresent(s, p.member, false));
    }
    // Announce a change of the verified present list only: the relay may repeat a push (admission, re-entry, another
    // node), and a key outside the roster is never shown, not even as a notice.
    const isPresent = ctx.isPresent(p.member);
    if (isPresent !== wasPresent) {
      ctx.logEvent({ kind: 'presence', member: p.member, present: isPresent });
      ctx.events.emit('presence', { member: p.member, present: isPresent });
    }
  }

  /**
   * A knock, checked at the door before anything of it enters the state: first its invite proof against the verified
   * roster (an invite the roster does not list yet makes this device catch up on the roster once: a co-facilitator's
   * new invite may have overtaken its entry), then the acceptance and the session key. A knock that fails any check
   * is never shown as a knock: it raises a security warning, and nothing is sealed or introduced to it.
   */
  onKnock(k: Knock): void {
    void this.checkKnock(k, true).catch((e) => this.ctx.warnFromError(e, 'knock'));
  }

  private async checkKnock(k: Knock, mayRefresh: boolean): Promise<void> {
    const ctx = this.ctx;
    const g = ctx.group;
    const roster = g?.tracker.state;
    const secrets = ctx.secrets;
    if (!g || !roster || !secrets || k.groupId !== g.groupId || k.sessionId !== secrets.sessionId) return;
    if (!isFacilitator(roster, ctx.me)) return;
    let invite: RosterInvite;
    try {
      invite = verifyKnockProof(k.proof, k, roster);
    } catch (e) {
      if (mayRefresh && isKindredError(e, 'INVITE_UNKNOWN')) {
        await this.refreshRoster();
        return this.checkKnock(k, false);
      }
      throw e;
    }
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
      const knockKey = verifySessionKey(k.sessionKey, { groupId: g.groupId, sessionId: secrets.sessionId, member: k.member });
      const knocker: Knocker = {
        member: k.member,
        agreement: acceptance.body.agreement,
        rulesDigest: acceptance.body.rulesDigest,
        currentRules: shown === current,
        invite: { id: invite.id, ...(g.madeInvites.has(invite.id) ? { label: g.madeInvites.get(invite.id) } : {}) },
      };
      ctx.updateSession((s) => addKnock(s, knocker));
      this.introductions.knockVerified(k.member, knockKey, knockProofHash(k.proof as SignedKnockProof));
      ctx.events.emit('knock', knocker);
    } catch (e) {
      ctx.warnFromError(e, 'knock');
    }
  }

  onSessionClosed(p: ServerPayload<'session.closed'>): void {
    const secrets = this.ctx.secrets;
    if (!secrets || p.groupId !== secrets.groupId || p.sessionId !== secrets.sessionId) return;
    this.ctx.wipeSession(p.reason, true);
  }
}
