/**
 * Pure derivations from the engine's state that several components need, each computed once per change of its
 * inputs (memoLast). Wording stays in the UI: these return data, never sentences.
 */
import type { RosterState } from '@kindred/shared/crypto';
import type { Role } from '@kindred/shared/protocol';
import { roleOf, talkShare, type EngineState, type SessionView } from '../engine';
import { memoLast } from './memoLast';

export interface Member {
  id: string;
  role: Role;
  muted: boolean;
  present: boolean;
  typing: boolean;
  handRaised: boolean;
  /** This device compared safety numbers with the member and marked them matching. */
  verified: boolean;
}

export const EMPTY: readonly never[] = Object.freeze([]);

export function myRole(s: EngineState): Role | null {
  return roleOf(s.group?.roster ?? null, s.me);
}

export function isFacilitator(s: EngineState): boolean {
  return myRole(s) === 'facilitator';
}

const members = memoLast((roster: RosterState | null, session: SessionView | null, verified: string[]): Member[] => {
  const present = new Set(session?.present ?? []);
  const typing = new Set(session?.typing ?? []);
  const hands = new Set(session?.hands ?? []);
  const ok = new Set(verified);
  return (roster?.members ?? []).map((m) => ({
    id: m.id,
    role: m.role,
    muted: m.muted,
    present: present.has(m.id),
    typing: typing.has(m.id),
    handRaised: hands.has(m.id),
    verified: ok.has(m.id),
  }));
});

/** Every roster member with what the session says of them. */
export function selectMembers(s: EngineState): Member[] {
  return members(s.group?.roster ?? null, s.session, s.verified);
}

/** The session's rules in force (from the verified roster), or null outside an open session. */
export interface SessionRules {
  locked: boolean;
  slowModeSeconds: number;
  muteAllButFacilitators: boolean;
  expirySeconds: number;
  /** Knocks that verify are admitted by a facilitator's device by itself (policy.autoAdmit). */
  autoAdmit: boolean;
}
const rules = memoLast((roster: RosterState | null): SessionRules | null =>
  roster?.session?.open
    ? {
        locked: roster.locked,
        slowModeSeconds: roster.policy.slowModeSeconds,
        muteAllButFacilitators: roster.policy.muteAllButFacilitators,
        expirySeconds: roster.policy.expirySeconds,
        autoAdmit: roster.policy.autoAdmit === true,
      }
    : null,
);
export function selectRules(s: EngineState): SessionRules | null {
  return rules(s.group?.roster ?? null);
}

/** How long messages last: the roster's policy (it may have changed since the card was written), else the card's. */
export function expirySeconds(s: EngineState): number {
  return s.group?.roster?.policy.expirySeconds ?? s.group?.card?.expirySeconds ?? 3600;
}

export interface RoundView {
  kind: NonNullable<SessionView['round']>['kind'];
  /** Whose turn it is; null when everyone has spoken. */
  holder: string | null;
  /** Members still to speak, holder first. */
  queue: string[];
}
const roundView = memoLast((round: SessionView['round'] | undefined): RoundView | null =>
  round
    ? { kind: round.kind, holder: round.current === null ? null : (round.order[round.current] ?? null), queue: round.current === null ? [] : round.order.slice(round.current) }
    : null,
);
export function selectRound(s: EngineState): RoundView | null {
  return roundView(s.session?.round);
}

/** Why this member cannot send right now, or null when they can. */
export type ComposerBlock = 'not-in-session' | 'muted' | 'mute-all' | 'not-your-turn' | null;
export function composerBlock(s: EngineState): ComposerBlock {
  if (s.phase !== 'in-session') return 'not-in-session';
  const me = s.group?.roster?.members.find((m) => m.id === s.me);
  if (me?.muted) return 'muted';
  if (s.group?.roster?.policy.muteAllButFacilitators && me?.role !== 'facilitator') return 'mute-all';
  const round = selectRound(s);
  if (round && round.holder !== null && round.holder !== s.me) return 'not-your-turn';
  return null;
}

export interface TalkShareRow {
  memberId: string;
  messages: number;
  characters: number;
  messageShare: number;
  characterShare: number;
  /** 'dominant': more than twice an even share of characters; 'silent': nothing sent yet. */
  flag: 'dominant' | 'silent' | null;
}
const talkRows = memoLast((session: SessionView | null): TalkShareRow[] => {
  if (!session) return [];
  const shares = talkShare(session);
  const even = shares.length > 0 ? 1 / shares.length : 0;
  return shares.map((t) => ({
    memberId: t.member,
    messages: t.messages,
    characters: t.characters,
    messageShare: t.messageShare,
    characterShare: t.characterShare,
    flag: t.messages === 0 ? 'silent' : shares.length > 2 && t.characterShare > 2 * even ? 'dominant' : null,
  }));
});
/** Each present member's share of messages and characters (the engine's talkShare, with who stands out). */
export function talkShareRows(s: EngineState): TalkShareRow[] {
  return talkRows(s.session);
}
