/** How members are named on screen: their pseudonym, else a short neutral label from their key. */
import type { EngineSnapshot, MemberView } from '../store/engineLike';

export function shortId(memberId: string): string {
  return memberId.slice(0, 5);
}

export function nameOf(snapshot: Pick<EngineSnapshot, 'roster' | 'me'>, memberId: string | null): string {
  if (!memberId) return 'nobody';
  const m: MemberView | undefined = snapshot.roster.find((r) => r.memberId === memberId);
  const base = m && m.displayName ? m.displayName : `Member ${shortId(memberId)}`;
  return memberId === snapshot.me ? `${base} (you)` : base;
}
