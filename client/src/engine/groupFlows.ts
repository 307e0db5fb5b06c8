/**
 * The group and its doors: creating a group (genesis roster entry, signed card, first invite), making and revoking
 * invites, opening an invite link (roster chain verified from genesis against the creator fingerprint in the link,
 * card decrypted and checked against that roster), accepting a session's rules, and editing the card.
 */
import {
  createGenesis,
  createInviteSecret,
  decryptGroupCard,
  encryptGroupCard,
  fingerprint,
  formatInviteFragment,
  inviteGateHash,
  inviteGateToken,
  invitePublicKey,
  inviteSigningKeyPair,
  isFacilitator,
  parseInviteFragment,
  randomBytes,
  RosterTracker,
  rulesDigest,
  signAcceptance,
  signGroupCard,
  verifyGroupCard,
  wipe,
  type RosterState,
} from '@kindred/shared/crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { KindredError, isKindredError } from '@kindred/shared/errors';
import { PROTOCOL_VERSION, type GroupCardBody, type RosterPolicy, type SignedGroupCard, type SignedRosterEntry } from '@kindred/shared/protocol';
import { rememberCard, type EngineContext, type GroupContext } from './engineContext';
import type { Messaging } from './messaging';
import type { RosterSync } from './rosterSync';

/** The card fields a facilitator writes; id, signer, revision and expiry are filled in by the engine. */
export type CardFields = Pick<
  GroupCardBody,
  'name' | 'groundRules' | 'codeOfConduct' | 'confidentialityLimits' | 'crisisResources' | 'requireSignedAgreement'
>;

export class GroupFlows {
  constructor(
    private readonly ctx: EngineContext,
    private readonly roster: RosterSync,
    private readonly messaging: Messaging,
  ) {}

  /** A random 16-byte group id, the genesis entry with `policy`, the signed card and a first invite. */
  async createGroup(fields: CardFields, policy: RosterPolicy): Promise<{ groupId: string; inviteId: string; fragment: string }> {
    const ctx = this.ctx;
    const groupId = toBase64Url(randomBytes(16));
    const genesis = createGenesis(ctx.identity, groupId, policy);
    const card = signGroupCard({ v: PROTOCOL_VERSION, groupId, ...fields, expirySeconds: policy.expirySeconds, revision: 1 }, ctx.identity);
    await ctx.connection.request('group.create', { genesis });
    const tracker = new RosterTracker(groupId, fingerprint(ctx.me));
    tracker.accept([genesis]);
    if (ctx.group?.invite) wipe(ctx.group.invite.signingKey.secretKey);
    ctx.group = { groupId, tracker, card, knownCards: [card], invite: null, madeInvites: new Map(), acceptance: null };
    ctx.publishGroup();
    const invite = await this.createInvite();
    return { groupId, ...invite };
  }

  /**
   * A new invite (facilitators): a fresh secret; its public signing key recorded in the signed roster (an `invite`
   * entry, so every facilitator can check knocks through it without trusting the relay); then its gate hash and the
   * card encrypted under it, at the relay. `label` is what this device shows on knocks through it.
   */
  async createInvite(label?: string): Promise<{ inviteId: string; fragment: string }> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    if (!g.card) throw new KindredError('NOT_FOUND', 'no group card on this device');
    if (!isFacilitator(ctx.requireRoster(), ctx.me)) throw new KindredError('NOT_FACILITATOR');
    const secret = createInviteSecret();
    try {
      const inviteId = toBase64Url(randomBytes(16));
      await this.roster.appendRoster({ type: 'invite', inviteId, invitePk: invitePublicKey(secret) });
      g.madeInvites.set(inviteId, label ?? `made ${new Date(ctx.clock.now()).toISOString().slice(11, 16)} UTC`);
      const gateHash = inviteGateHash(inviteGateToken(secret));
      const card = encryptGroupCard(g.card, secret);
      await ctx.connection.request('invite.create', { groupId: g.groupId, inviteId, gateHash, card });
      // The link carries the roster head as it is now (its own invite entry included): whoever opens it refuses any
      // older roster the relay serves.
      const roster = ctx.requireRoster();
      const head = { epoch: roster.epoch, hash: roster.head };
      const fragment = formatInviteFragment({ groupId: g.groupId, inviteId, secret, creatorFingerprint: fingerprint(roster.creator), head });
      return { inviteId, fragment };
    } finally {
      wipe(secret);
    }
  }

  /**
   * Revokes an invite: an `inviteRevoke` roster entry (every facilitator then refuses knocks through it, whatever the
   * relay does), then the relay's gate. A relay that no longer holds the invite does not undo the roster entry.
   */
  async revokeInvite(inviteId: string): Promise<void> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    if (ctx.requireRoster().invites.some((i) => i.id === inviteId)) await this.roster.appendRoster({ type: 'inviteRevoke', inviteId });
    await ctx.connection.request('invite.revoke', { groupId: g.groupId, inviteId }).catch((e: unknown) => {
      if (!isKindredError(e, 'NOT_FOUND')) throw e;
    });
  }

  /** Opens an invite link (the fragment, with or without '#') and returns the verified card for the rules screen. */
  async openInvite(fragment: string): Promise<GroupCardBody> {
    const ctx = this.ctx;
    const link = parseInviteFragment(fragment);
    try {
      const gateToken = inviteGateToken(link.secret);
      const res = await ctx.connection.request('invite.open', { groupId: link.groupId, inviteId: link.inviteId, gateToken });
      const existing = ctx.group?.groupId === link.groupId ? ctx.group : null;
      const tracker =
        existing?.tracker ??
        (ctx.rosterStorage
          ? await RosterTracker.load(ctx.rosterStorage, link.groupId, link.creatorFingerprint).catch((e: unknown) => {
              ctx.warnFromError(e, 'stored roster');
              throw e;
            })
          : new RosterTracker(link.groupId, link.creatorFingerprint));
      const before = tracker.epoch;
      let fresh: SignedRosterEntry[];
      try {
        fresh = tracker.acceptHead(res.roster, link.head);
      } catch (e) {
        ctx.warnFromError(e, 'invite roster');
        throw e;
      }
      requireInviteInRoster(tracker.state as RosterState, link.inviteId, invitePublicKey(link.secret));
      const signed = decryptGroupCard(res.card, link.secret, link.groupId);
      let card: SignedGroupCard;
      try {
        card = verifyGroupCard(signed, tracker.state as RosterState);
      } catch (e) {
        ctx.warnFromError(e, 'group card');
        throw e;
      }
      // Kept for this link's knocks (the secret itself is wiped below); wiped when replaced or when the group is left.
      const signingKey = inviteSigningKeyPair(link.secret);
      if (existing) {
        if (!existing.card || card.body.revision >= existing.card.body.revision) existing.card = card;
        rememberCard(existing, card);
        if (existing.invite) wipe(existing.invite.signingKey.secretKey);
        existing.invite = { inviteId: link.inviteId, gateToken, signingKey };
        if (fresh.length > 0 && before >= 0) this.roster.afterRosterEntries(fresh);
      } else {
        ctx.wipeSession('left', false);
        ctx.savedEpoch = -1;
        if (ctx.group?.invite) wipe(ctx.group.invite.signingKey.secretKey);
        ctx.group = { groupId: link.groupId, tracker, card, knownCards: [card], invite: { inviteId: link.inviteId, gateToken, signingKey }, madeInvites: new Map(), acceptance: null };
      }
      ctx.publishGroup();
      // A member follows the group's roster pushes (roster.get joins this socket to the group room).
      if (tracker.state?.members.some((m) => m.id === ctx.me)) await this.roster.refreshRoster();
      return (ctx.group as GroupContext).card!.body;
    } finally {
      wipe(link.secret);
    }
  }

  /** Accepts the current card's rules for the CURRENT open session (see KindredClient.acceptRules). */
  acceptRules(agreement: boolean): void {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    const roster = ctx.requireRoster();
    if (!g.card) throw new KindredError('NOT_FOUND', 'open the invite first: no rules to accept');
    if (!roster.session?.open) throw new KindredError('SESSION_NOT_OPEN');
    if (g.card.body.requireSignedAgreement && !agreement) throw new KindredError('RULES_NOT_ACCEPTED', 'agreement required');
    g.acceptance = signAcceptance(ctx.identity, {
      groupId: g.groupId,
      sessionId: roster.session.id,
      rulesDigest: rulesDigest(g.card.body),
      agreement,
    });
    ctx.publishGroup();
  }

  /** Facilitators: shares an edited card (next revision) with the session. New invites carry it too. */
  async updateCard(fields: Partial<CardFields>): Promise<GroupCardBody> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    if (!g.card) throw new KindredError('NOT_FOUND', 'no group card on this device');
    const { signer: _signer, ...body } = g.card.body;
    const card = signGroupCard({ ...body, ...fields, expirySeconds: ctx.requireRoster().policy.expirySeconds, revision: body.revision + 1 }, ctx.identity);
    g.card = card;
    rememberCard(g, card);
    ctx.publishGroup();
    if (ctx.state.session?.status === 'joined') await this.messaging.sendSignal({ kind: 'card.updated', card });
    return card.body;
  }
}

/**
 * The link's invite must be one the verified roster records, under the key its secret gives: facilitators check a
 * knock against that record, so a knock through any other would never be shown. INVITE_REVOKED, INVITE_UNKNOWN.
 */
function requireInviteInRoster(roster: RosterState, inviteId: string, pk: string): void {
  if (roster.revokedInvites.some((i) => i.id === inviteId)) throw new KindredError('INVITE_REVOKED', 'this invite link');
  if (!roster.invites.some((i) => i.id === inviteId && i.pk === pk)) throw new KindredError('INVITE_UNKNOWN', 'this invite link');
}
