/**
 * What a session signal (profile, typing, hands, talking-stick rounds, card update) does to the state, mine or a
 * member's: facilitator-only signals from anyone else are ignored, and typing indicators lapse on a timer.
 */
import { isFacilitator, verifyGroupCard } from '@kindred/shared/crypto';
import type { SignalContent } from '@kindred/shared/protocol';
import { rememberCard, type EngineContext } from './engineContext';
import { endRound, passRound, setHand, setTyping, startRound } from './state';

export class Signals {
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly ctx: EngineContext) {
    ctx.onWipe(() => {
      for (const t of this.typingTimers.values()) clearTimeout(t);
      this.typingTimers.clear();
    });
  }

  /** Applies a signal from `from` (verified sender, or me) and announces it. */
  apply(from: string, content: SignalContent): void {
    const ctx = this.ctx;
    const roster = ctx.group?.tracker.state ?? null;
    const facilitator = roster !== null && isFacilitator(roster, from);
    switch (content.kind) {
      case 'profile':
        ctx.updateSession((s) => (s.names[from] === content.name ? s : { ...s, names: { ...s.names, [from]: content.name } }));
        break;
      case 'typing':
        ctx.updateSession((s) => setTyping(s, from, content.on));
        this.armTyping(from, content.on);
        break;
      case 'hand':
        if (content.member !== undefined && content.member !== from) {
          if (!facilitator || content.raised) return; // only a facilitator may lower someone else's hand
          ctx.updateSession((s) => setHand(s, content.member as string, false));
        } else {
          ctx.updateSession((s) => setHand(s, from, content.raised));
        }
        break;
      case 'round.start': {
        if (!facilitator || !roster) return;
        const members = new Set(roster.members.map((m) => m.id));
        const order = content.order.filter((m, i) => members.has(m) && content.order.indexOf(m) === i);
        ctx.updateSession((s) => startRound(s, { id: content.roundId, kind: content.round, order, startedBy: from }));
        break;
      }
      case 'round.pass': {
        const r = ctx.state.session?.round;
        if (!r || r.id !== content.roundId) return;
        const holder = r.current === null ? null : r.order[r.current];
        if (!facilitator && holder !== from) return;
        ctx.updateSession((s) => passRound(s, content.roundId, content.to));
        break;
      }
      case 'round.end':
        if (!facilitator) return;
        ctx.updateSession((s) => endRound(s, content.roundId));
        break;
      case 'card.updated': {
        const g = ctx.group;
        if (!g || !roster) return;
        try {
          const card = verifyGroupCard(content.card, roster);
          if (g.card && card.body.revision <= g.card.body.revision) return;
          g.card = card;
          rememberCard(g, card);
          ctx.publishGroup();
          ctx.events.emit('card.updated', { card: card.body });
        } catch (e) {
          ctx.warnFromError(e, 'card update');
        }
        return;
      }
      case 'head':
        return; // its header's stated head is what counts (headSync.ts): nothing to show
    }
    ctx.events.emit('signal', { from, content });
  }

  private armTyping(member: string, on: boolean): void {
    const old = this.typingTimers.get(member);
    if (old !== undefined) clearTimeout(old);
    this.typingTimers.delete(member);
    if (!on) return;
    this.typingTimers.set(
      member,
      setTimeout(() => {
        this.typingTimers.delete(member);
        this.ctx.updateSession((s) => setTyping(s, member, false));
      }, this.ctx.typingTimeoutMs),
    );
  }
}
