/** Pure derivations from the engine snapshot, shared by components and tested on their own. */
import type { EngineSnapshot, MemberView, TalkShareView } from './engineLike';

export function meIn(s: EngineSnapshot): MemberView | null {
  return s.roster.find((m) => m.memberId === s.me) ?? null;
}

export function isFacilitator(s: EngineSnapshot): boolean {
  return s.myRole === 'facilitator';
}

/** Why this member cannot send right now (a sentence for the composer), or null when they can. */
export function composerBlock(s: EngineSnapshot): string | null {
  if (s.phase !== 'in-session') return 'You are not in the session.';
  const me = meIn(s);
  if (me?.muted) return 'A facilitator has muted you, so you cannot send messages. You can still read, raise your hand and write to the facilitators privately.';
  if (s.session?.muteAllButFacilitators && !isFacilitator(s)) {
    return 'Only the facilitators can write right now. You can still raise your hand.';
  }
  if (s.round && s.round.holder !== null && s.round.holder !== s.me) {
    return 'A round is running: only the person holding the talking stick can write. Wait for your turn.';
  }
  return null;
}

export interface TalkShareRow {
  memberId: string;
  messages: number;
  chars: number;
  messageShare: number;
  charShare: number;
  /** 'dominant': more than twice an even share of characters; 'silent': nothing sent yet. */
  flag: 'dominant' | 'silent' | null;
}

/** Each present member's share of messages and characters (silent members included, at 0). */
export function talkShareRows(s: EngineSnapshot): TalkShareRow[] {
  const present = s.roster.filter((m) => m.present).map((m) => m.memberId);
  const byId = new Map<string, TalkShareView>(s.talkShare.map((t) => [t.memberId, t]));
  const ids = [...new Set([...present, ...byId.keys()])];
  const totalM = ids.reduce((n, id) => n + (byId.get(id)?.messages ?? 0), 0);
  const totalC = ids.reduce((n, id) => n + (byId.get(id)?.chars ?? 0), 0);
  const even = ids.length > 0 ? 1 / ids.length : 0;
  return ids.map((memberId) => {
    const t = byId.get(memberId) ?? { memberId, messages: 0, chars: 0 };
    const messageShare = totalM === 0 ? 0 : t.messages / totalM;
    const charShare = totalC === 0 ? 0 : t.chars / totalC;
    const flag = t.messages === 0 ? 'silent' : ids.length > 2 && charShare > 2 * even ? 'dominant' : null;
    return { memberId, messages: t.messages, chars: t.chars, messageShare, charShare, flag };
  });
}
