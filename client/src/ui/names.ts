/**
 * How people are named on screen: their pseudonym, made unique within the session (where two people chose the same
 * one, each gets the short id of their key after it, so they can be told apart everywhere), else a neutral label.
 */
import type { EngineState, Knocker } from '../engine';
import { memoLast } from '../store/memoLast';
import { useEngine } from '../store/sessionStore';

export function shortId(memberId: string): string {
  return memberId.slice(0, 5);
}

/** Compared loosely (case, spacing, look-alike forms) so that "Bo" and " bo" count as a collision. */
function sameNameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export type NameOf = (memberId: string | null) => string;

const namer = memoLast((names: Record<string, string> | undefined, knocks: Knocker[] | undefined, me: string): NameOf => {
  const chosen = new Map<string, string>(Object.entries(names ?? {}));
  for (const k of knocks ?? []) if (k.name && !chosen.has(k.member)) chosen.set(k.member, k.name);
  const holders = new Map<string, number>();
  for (const name of chosen.values()) holders.set(sameNameKey(name), (holders.get(sameNameKey(name)) ?? 0) + 1);
  return (memberId) => {
    if (!memberId) return 'nobody';
    const name = chosen.get(memberId);
    let base = name ? name : `Member ${shortId(memberId)}`;
    if (name && (holders.get(sameNameKey(name)) ?? 0) > 1) base = `${name} (${shortId(memberId)})`;
    return memberId === me ? `${base} (you)` : base;
  };
});

export function namesOf(s: EngineState): NameOf {
  return namer(s.session?.names, s.session?.knocks, s.me);
}

/** The naming function for the current session (a new one only when a name changes). */
export function useNames(): NameOf {
  return useEngine(namesOf);
}
