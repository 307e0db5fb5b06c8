/**
 * Schema-valid stand-ins for protocol objects, for storage and HTTP tests. They are not signed: storage keeps what
 * the relay verified and never checks a signature itself. Random bytes make every run's ids distinct.
 */
import { randomBytes } from 'node:crypto';
import { toBase64Url } from '@kindred/shared/encoding';
import { EncryptedGroupCard, SignedRosterEntry } from '@kindred/shared/protocol';
import type { RosterOp } from '@kindred/shared/protocol';

export const fakeBytes = (n: number): string => toBase64Url(new Uint8Array(randomBytes(n)));
export const fakeOpaqueId = (): string => fakeBytes(16);
export const fakeMemberId = (): string => fakeBytes(32);
export const fakeHash = (): string => fakeBytes(32);

export function fakeGenesis(groupId: string, creator: string): SignedRosterEntry {
  return fakeEntry(groupId, 0, '', { type: 'genesis', creator, policy: { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false } }, creator);
}

export function fakeEntry(groupId: string, epoch: number, prev: string, op: RosterOp, signer: string): SignedRosterEntry {
  return SignedRosterEntry.parse({ body: { v: 1, groupId, epoch, prev, op, signer }, sig: fakeBytes(64) });
}

export function fakeCard(): EncryptedGroupCard {
  return EncryptedGroupCard.parse({ v: 1, nonce: fakeBytes(24), ct: fakeBytes(200) });
}
