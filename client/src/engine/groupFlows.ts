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
import { fromBase64Url, toBase64Url } from '@kindred/shared/encoding';
import { KindredError, isKindredError } from '@kindred/shared/errors';
import { PROTOCOL_VERSION, type GroupCardBody, type NextSession, type RosterPolicy, type SignedGroupCard, type SignedRosterEntry } from '@kindred/shared/protocol';
import { rememberCard, type EngineContext, type GroupContext } from './engineContext';
import type { Messaging } from './messaging';
import type { GroupStorage, StoredGroup } from './groupStorage';
import type { RosterSync } from './rosterSync';
import type { InviteLink } from './state';

/** The card fields a facilitator writes; id, signer, revision and expiry are filled in by the engine. */
export type CardFields = Pick<
  GroupCardBody,
  'name' | 'groundRules' | 'codeOfConduct' | 'confidentialityLimits' | 'crisisResources' | 'requireSignedAgreement' | 'nextSession'
>;
/** An edit of the card: any field; `nextSession: null` takes the next session off the card. */
export type CardEdit = Partial<Omit<CardFields, 'nextSession'>> & { nextSession?: NextSession | null };

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
   * Keeps the group on this device now (groupStorage, rosterStorage): its verified chain, name and card. Called when a
   * key becomes kept after the group was created or opened (what was saved before went nowhere).
   */
  async keepGroup(): Promise<void> {
    const ctx = this.ctx;
    const g = ctx.group;
    if (!g || !ctx.rosterStorage || g.tracker.epoch < 0) return;
    await g.tracker.save(ctx.rosterStorage);
    ctx.savedEpoch = Math.max(ctx.savedEpoch, g.tracker.epoch);
    await this.remember(g.groupId, g.card ? { name: g.card.body.name, card: g.card } : {});
  }

  /** Keeps what reopening the group needs (a no-op without groupStorage); a failure is reported, never thrown. */
  private remember(groupId: string, patch: Parameters<GroupStorage['rememberGroup']>[1]): Promise<void> {
    const store = this.ctx.groupStorage;
    if (!store) return Promise.resolve();
    return store.rememberGroup(groupId, patch).catch((e: unknown) => this.ctx.warnFromError(e, 'keeping the group'));
  }

  /** The groups this device keeps (groupStorage), most recently used first; none without it. */
  async storedGroups(): Promise<StoredGroup[]> {
    return (await this.ctx.groupStorage?.listGroups()) ?? [];
  }

  /**
   * Reopens a group this device keeps, without a link: its chain is loaded and verified again from genesis against the
   * kept creator fingerprint, brought up to date from the relay (roster.get; a relay that serves less is not believed
   * over the kept chain), and the kept card is checked against it. Facilitators can then open the next session and
   * make new invites. NOT_FOUND when the group is not kept; the relay refuses a device that is no longer a member.
   */
  async reopenGroup(groupId: string): Promise<GroupCardBody | null> {
    const ctx = this.ctx;
    const stored = await ctx.groupStorage?.loadGroup(groupId);
    if (!stored || !ctx.rosterStorage) throw new KindredError('NOT_FOUND', 'this group is not kept on this device');
    let tracker: RosterTracker;
    try {
      tracker = await RosterTracker.load(ctx.rosterStorage, groupId, stored.creatorFingerprint);
    } catch (e) {
      ctx.warnFromError(e, 'stored roster');
      throw e;
    }
    const roster = tracker.state;
    if (!roster) throw new KindredError('NOT_FOUND', 'no kept roster for this group');
    let card: SignedGroupCard | null = null;
    if (stored.card) {
      try {
        card = verifyGroupCard(stored.card, roster);
      } catch (e) {
        ctx.warnFromError(e, 'kept group card');
      }
    }
    const kept = stored.invites[stored.invites.length - 1];
    const invite = kept ? keptInvite(kept) : null;
    ctx.wipeSession('left', false);
    ctx.savedEpoch = tracker.epoch;
    ctx.group = { groupId, tracker, card, knownCards: card ? [card] : [], invite, madeInvites: new Map(), acceptance: null };
    ctx.publishGroup();
    await this.roster.refreshRoster();
    await this.remember(groupId, {});
    return card?.body ?? null;
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
      await this.remember(g.groupId, { invite: { inviteId, secret: toBase64Url(secret) } });
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
      const kept = (ctx.group as GroupContext).card;
      await this.remember(link.groupId, { ...(kept ? { name: kept.body.name, card: kept } : {}), invite: { inviteId: link.inviteId, secret: toBase64Url(link.secret) } });
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

  /**
   * Facilitators: shares an edited card (next revision) with the session; new invites carry it too. An edit of the
   * next session also goes to the live invites whose secret this device holds (`invite.card`: whoever opens one of
   * them later, or checks again from "No session right now", gets it); an invite made on another device keeps
   * serving its older revision. Other edits leave existing invites as they were (a knock through one is shown with
   * `currentRules: false`).
   */
  async updateCard(fields: CardEdit): Promise<GroupCardBody> {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    if (!g.card) throw new KindredError('NOT_FOUND', 'no group card on this device');
    const { signer: _signer, nextSession: keptNext, ...body } = g.card.body;
    const { nextSession, ...edit } = fields;
    const next = nextSession === undefined ? keptNext : (nextSession ?? undefined);
    const card = signGroupCard(
      { ...body, ...edit, ...(next ? { nextSession: next } : {}), expirySeconds: ctx.requireRoster().policy.expirySeconds, revision: body.revision + 1 },
      ctx.identity,
    );
    g.card = card;
    rememberCard(g, card);
    ctx.publishGroup();
    await this.remember(g.groupId, { name: card.body.name, card });
    if (ctx.state.session?.status === 'joined') await this.messaging.sendSignal({ kind: 'card.updated', card });
    // When the group meets next must reach people outside the session too (the "No session right now" screen
    // opens the invite again): the live invites this device holds serve the new revision.
    if (nextSession !== undefined) await this.republishCard(g.groupId, card);
    return card.body;
  }

  /**
   * A reloaded tab's invite links (facilitators, sessionSnapshot.ts): each back in `state.invites` when it is of this
   * group and live in the verified roster under the key its secret gives; any other is dropped. Returns those taken.
   */
  restoreInvites(fragments: readonly string[]): InviteLink[] {
    const ctx = this.ctx;
    const g = ctx.requireGroup();
    const roster = ctx.requireRoster();
    const known = new Set(ctx.state.invites.map((i) => i.inviteId));
    const back: InviteLink[] = [];
    for (const fragment of fragments) {
      try {
        const link = parseInviteFragment(fragment);
        try {
          if (link.groupId !== g.groupId || known.has(link.inviteId)) continue;
          requireInviteInRoster(roster, link.inviteId, invitePublicKey(link.secret));
          known.add(link.inviteId);
          back.push({ inviteId: link.inviteId, fragment, revoked: false });
        } finally {
          wipe(link.secret);
        }
      } catch {
        // not a live link of this group (revoked meanwhile, or not this group's): dropped
      }
    }
    if (back.length > 0) ctx.update((s) => ({ ...s, invites: [...s.invites, ...back] }));
    return back;
  }

  /** The card, encrypted under each live invite this device holds the secret of, replaces what the relay serves. */
  private async republishCard(groupId: string, card: SignedGroupCard): Promise<void> {
    const ctx = this.ctx;
    const live = new Set(ctx.requireRoster().invites.map((i) => i.id));
    const secrets = new Map<string, Uint8Array>();
    for (const kept of (await ctx.groupStorage?.loadGroup(groupId).catch(() => undefined))?.invites ?? []) secrets.set(kept.inviteId, fromBase64Url(kept.secret));
    for (const made of ctx.state.invites) if (!made.revoked) secrets.set(made.inviteId, parseInviteFragment(made.fragment).secret);
    try {
      for (const [inviteId, secret] of secrets) {
        if (!live.has(inviteId)) continue;
        await ctx.connection.request('invite.card', { groupId, inviteId, card: encryptGroupCard(card, secret) }).catch((e: unknown) => {
          // A relay that no longer holds the invite: nobody can open it anyway.
          if (!isKindredError(e, 'NOT_FOUND')) ctx.warnFromError(e, 'sharing the card with an invite');
        });
      }
    } finally {
      wipe(...secrets.values());
    }
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

/** What a kept invite secret (base64url) gives a device that knocks through it; the secret's bytes wiped after. */
function keptInvite(kept: { inviteId: string; secret: string }): NonNullable<GroupContext['invite']> {
  const secret = fromBase64Url(kept.secret);
  try {
    return { inviteId: kept.inviteId, gateToken: inviteGateToken(secret), signingKey: inviteSigningKeyPair(secret) };
  } finally {
    wipe(secret);
  }
}
