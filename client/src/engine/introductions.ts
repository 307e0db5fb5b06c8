/**
 * Introductions at the waiting room's door. Someone knocking tells each facilitator present its pseudonym for this
 * session, in a direct box from its session key to the facilitator's (the construction of private notes: crypto_box,
 * authenticated both ways, padded), so that facilitators know whom they admit. The relay routes a padded box between
 * two opaque ids and never sees the name.
 *
 * A knocker introduces itself to the facilitators the relay lists when it knocks and to each facilitator who arrives
 * while it waits, but only to a member its verified roster makes a facilitator, under a session key signed by that
 * member. The introduction names the knock it belongs to (the hash of the knock's invite proof). A facilitator opens
 * an introduction only under the session key of a knock whose proof it verified, and shows the name only when it
 * names that proof; one that comes before its knock waits for it (a few, bounded), and the name goes on that knock.
 */
import { bytesEqual, isFacilitator, openDirect, sealToFacilitators, verifySessionKey, wipe, type RosterState } from '@kindred/shared/crypto';
import { decodeDirectContent, encodeDirectContent, type DirectBox, type PresentMember } from '@kindred/shared/protocol';
import type { EngineContext } from './engineContext';
import type { SessionSecrets } from './sessionSecrets';
import { nameKnock } from './state';

/** Most introductions kept while their knock has not arrived yet (the oldest is dropped first). */
export const MAX_EARLY_INTRODUCTIONS = 64;

export class Introductions {
  /** Knocker side: each facilitator this device introduced itself to, under which session key and with which name. */
  private readonly introducedTo = new Map<string, { present: PresentMember; sessionPk: Uint8Array; name: string }>();
  /** Facilitator side: the session key and proof hash of every knock this device verified, by member. */
  private readonly knockKeys = new Map<string, { sessionPk: Uint8Array; proofHash: string }>();
  /** Facilitator side: introductions from someone whose knock has not arrived yet, by sender. */
  private readonly early = new Map<string, DirectBox>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly refreshRoster: () => Promise<void>,
  ) {
    ctx.onWipe(() => {
      this.introducedTo.clear();
      this.knockKeys.clear();
      this.early.clear();
    });
  }

  /**
   * Knocker: introduces this device to every facilitator among `present` (the relay's list; each is checked). One
   * that fails (it left meanwhile) does not keep the others from hearing it.
   */
  async introduce(secrets: SessionSecrets, present: readonly PresentMember[]): Promise<void> {
    for (const p of present) await this.introduceTo(secrets, p).catch((e) => this.ctx.warnFromError(e, 'introduction'));
  }

  /** Knocker: a facilitator arrived (or was made one) while this device waits. */
  onFacilitatorArrived(p: PresentMember): void {
    const secrets = this.ctx.secrets;
    if (!secrets || secrets.wiped || this.ctx.state.session?.status !== 'waiting') return;
    this.introduceTo(secrets, p).catch((e) => this.ctx.warnFromError(e, 'introduction'));
  }

  /** Knocker: the pseudonym changed while this device waits; the facilitators it introduced itself to hear the new one. */
  renamed(): void {
    const secrets = this.ctx.secrets;
    if (!secrets || secrets.wiped || this.ctx.state.session?.status !== 'waiting') return;
    void this.introduce(secrets, [...this.introducedTo.values()].map((i) => i.present));
  }

  /**
   * Facilitator: a knock verified with this session key (after it was added to the state); an introduction that came
   * first is opened now. A knock under another key than before drops the name the old key introduced.
   */
  knockVerified(member: string, sessionPk: Uint8Array, proofHash: string): void {
    const before = this.knockKeys.get(member);
    if (before && (!bytesEqual(before.sessionPk, sessionPk) || before.proofHash !== proofHash)) this.ctx.updateSession((s) => nameKnock(s, member, undefined));
    this.knockKeys.set(member, { sessionPk, proofHash });
    const box = this.early.get(member);
    if (!box) return;
    this.early.delete(member);
    this.onDirect(box);
  }

  /**
   * Facilitator: a direct box from someone outside the roster. Opened under its knock's session key, and only an
   * introduction is taken from a knocker; anything else is refused with a warning.
   */
  onDirect(box: DirectBox): void {
    const ctx = this.ctx;
    const secrets = ctx.secrets;
    const roster = ctx.group?.tracker.state;
    if (!secrets || secrets.wiped || !roster || box.groupId !== secrets.groupId || box.sessionId !== secrets.sessionId) return;
    if (!isFacilitator(roster, ctx.me)) return;
    const knock = this.knockKeys.get(box.from);
    if (!knock) return this.keepEarly(box);
    try {
      const { plaintext } = openDirect(box, knock.sessionPk, secrets.pairwise, { groupId: secrets.groupId, sessionId: secrets.sessionId, me: ctx.me });
      const content = decodeDirectContent(plaintext);
      wipe(plaintext);
      if (content.kind !== 'introduction') return ctx.warn('SENDER_NOT_IN_ROSTER', 'a note from someone not admitted');
      // The name belongs to one knock, the one whose proof this facilitator verified: not to another knock by the same key.
      if (content.knock !== knock.proofHash) return ctx.warn('KNOCK_UNPROVEN', 'an introduction for another knock');
      ctx.updateSession((s) => nameKnock(s, box.from, content.name));
    } catch (e) {
      ctx.warnFromError(e, 'introduction');
    }
  }

  /**
   * The relay's word makes nobody a facilitator: only the verified roster does. The roster read when the invite was
   * opened may predate a promotion, so one the relay names that this device does not know as a facilitator makes it
   * catch up on the roster first.
   */
  private async facilitatorRoster(member: string): Promise<RosterState | undefined> {
    const known = this.ctx.group?.tracker.state;
    if (known && isFacilitator(known, member)) return known;
    await this.refreshRoster();
    const caughtUp = this.ctx.group?.tracker.state;
    return caughtUp && isFacilitator(caughtUp, member) ? caughtUp : undefined;
  }

  private async introduceTo(secrets: SessionSecrets, p: PresentMember): Promise<void> {
    const ctx = this.ctx;
    const name = ctx.displayName;
    const knock = secrets.knockProofHash;
    if (!name || !knock || p.member === ctx.me) return;
    const roster = await this.facilitatorRoster(p.member);
    if (!roster || ctx.secrets !== secrets || secrets.wiped) return;
    const sessionPk = verifySessionKey(p.sessionKey, { groupId: secrets.groupId, sessionId: secrets.sessionId, member: p.member });
    const before = this.introducedTo.get(p.member);
    if (before && before.name === name && bytesEqual(before.sessionPk, sessionPk)) return;
    this.introducedTo.set(p.member, { present: p, sessionPk, name });
    const plaintext = encodeDirectContent({ kind: 'introduction', name, knock });
    try {
      const ctxBox = { groupId: secrets.groupId, sessionId: secrets.sessionId, from: ctx.me };
      const [box] = sealToFacilitators(secrets.pairwise, roster, [{ member: p.member, sessionPk }], ctxBox, plaintext);
      if (box) await ctx.connection.request('direct.send', { box });
    } catch (e) {
      this.introducedTo.delete(p.member); // the next arrival of this facilitator tries again
      throw e;
    } finally {
      wipe(plaintext);
    }
  }

  private keepEarly(box: DirectBox): void {
    this.early.delete(box.from);
    this.early.set(box.from, box);
    if (this.early.size > MAX_EARLY_INTRODUCTIONS) {
      const oldest = this.early.keys().next().value;
      if (oldest !== undefined) this.early.delete(oldest);
    }
  }
}
