import type { SignedRosterEntry } from '@kindred/shared/protocol';

/** The member an entry takes out of the group's sessions (removed, banned, left), if any. */
export function evicted(entry: SignedRosterEntry): string | undefined {
  const op = entry.body.op;
  return op.type === 'remove' || op.type === 'ban' || op.type === 'leave' ? op.member : undefined;
}
