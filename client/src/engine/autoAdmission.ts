/**
 * "Admit automatically" (the signed policy's `autoAdmit`): a facilitator's device admits, by itself, every knock it
 * verified (presence.ts: invite proof against the verified roster, acceptance, session key) with the ordinary signed
 * `admit` entry. Only knocks in the state are ever admitted, so an unproven knock (a security warning, never a knock),
 * a knock through a revoked invite (refused, and dropped on the revocation) and anyone the relay names without a
 * knock stay out. A locked session, a banned key, a closed session or a policy turned off admit nobody.
 *
 * Several facilitators' devices race for the same knock; the first `admit` the relay takes wins. A loser's append is
 * CONFLICT (appendRoster catches up and signs again, which the roster then refuses locally as ROSTER_BAD_OP:
 * already a member): neither is an error anyone is shown. The knock simply leaves the list.
 */
import { isFacilitator, type RosterState } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import type { EngineContext } from './engineContext';
import { removeKnock } from './state';

/** Admit attempts per knocker and session (each a roster catch-up and up to two appends). */
const MAX_ATTEMPTS = 3;

export class AutoAdmission {
  /** Knockers whose admit this device is appending now (one attempt each at a time). */
  private readonly pending = new Set<string>();
  /** Attempts per knocker: a relay that answers CONFLICT forever does not keep this device busy. */
  private readonly attempts = new Map<string, number>();

  constructor(
    private readonly ctx: EngineContext,
    /** The facade's admit (refuses a member without a verified knock, KNOCK_UNPROVEN). */
    private readonly admit: (member: string) => Promise<void>,
  ) {
    ctx.onWipe(() => this.attempts.clear()); // the session's end: a later session tries afresh
  }

  /** Admits every verified knock now in the state, when the verified roster says this device may and should. */
  sweep(): void {
    const ctx = this.ctx;
    const roster = ctx.group?.tracker.state;
    if (!roster || !admitsAutomatically(roster, ctx.me) || ctx.state.session?.status !== 'joined') return;
    for (const { member } of ctx.state.session.knocks) {
      const tried = this.attempts.get(member) ?? 0;
      if (this.pending.has(member) || tried >= MAX_ATTEMPTS || !admissible(roster, member)) continue;
      this.pending.add(member);
      this.attempts.set(member, tried + 1);
      void this.admitOne(member).finally(() => this.pending.delete(member));
    }
  }

  private async admitOne(member: string): Promise<void> {
    const ctx = this.ctx;
    try {
      await this.admit(member);
    } catch (e) {
      const roster = ctx.group?.tracker.state;
      // Another facilitator's device was first: the roster has them now, and the knock goes.
      if (roster?.members.some((m) => m.id === member)) {
        ctx.updateSession((s) => removeKnock(s, member));
        return;
      }
      // Other devices' entries kept winning the race: decided again on the roster as it is now.
      if (isKindredError(e, 'CONFLICT')) {
        queueMicrotask(() => this.sweep());
        return;
      }
      // The roster refuses it now (a lock, a ban, the policy turned off, a full roster) or the knock went: a person
      // decides, as without the policy.
      if (isKindredError(e, 'ROSTER_BAD_OP') || isKindredError(e, 'KNOCK_UNPROVEN')) return;
      ctx.warnFromError(e, 'admitting automatically');
    }
  }
}

/** The policy is on, the session open and unlocked, and I am a facilitator of the verified roster. */
function admitsAutomatically(roster: RosterState, me: string): boolean {
  return roster.policy.autoAdmit === true && !roster.locked && roster.session?.open === true && isFacilitator(roster, me);
}

/** Not a member already, not banned. */
function admissible(roster: RosterState, member: string): boolean {
  return !roster.banned.includes(member) && !roster.members.some((m) => m.id === member);
}
