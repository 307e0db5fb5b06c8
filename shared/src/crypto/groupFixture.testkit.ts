/**
 * Test support for the message layer (not shipped code): members with identity and session keys, a hand-built
 * verified roster, sender chains and receive states wired together the way the engine wires them.
 */
import { toBase64Url } from '../encoding';
import type { Role } from '../protocol/objects';
import { openSenderKey, sealSenderKey } from './keyDistribution';
import { installSenderKey, createMemoryReceiveState, type ReceiveState } from './receiveState';
import { createOwnSenderChain, type OwnSenderChain } from './senderKeyChain';
import { createSessionKey, verifySessionKey, type CreatedSessionKey } from './sessionKey';
import { randomBytes, sodium } from './sodium';
import type { IdentityKeyPair, RosterState } from './types';

export interface Peer {
  ik: IdentityKeyPair;
  id: string;
  role: Role;
  session: CreatedSessionKey;
  /** Session public key as verified by the others. */
  sessionPk: Uint8Array;
  chain: OwnSenderChain;
  rx: ReceiveState;
}

export const id16 = () => toBase64Url(randomBytes(16));
export const hash32 = () => toBase64Url(randomBytes(32));

export function newIdentity(): IdentityKeyPair {
  const kp = sodium().crypto_sign_keypair();
  return { publicKey: kp.publicKey, secretKey: kp.privateKey };
}

export function rosterOf(
  groupId: string,
  sessionId: string,
  members: { id: string; role: Role; muted?: boolean }[],
  over: Partial<RosterState> = {},
): RosterState {
  return {
    groupId,
    epoch: 3,
    head: hash32(),
    creator: members[0]!.id,
    members: members.map((m) => ({ id: m.id, role: m.role, muted: m.muted ?? false })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    banned: [],
    locked: false,
    policy: { expirySeconds: 3600, slowModeSeconds: 0, muteAllButFacilitators: false },
    session: { id: sessionId, open: true },
    rekeyEpoch: 3,
    invites: [],
    revokedInvites: [],
    ...over,
  };
}

/** A new roster after a change: next epoch, new head; `rekey` moves rekeyEpoch (removal, leave, ban). */
export function nextRoster(r: RosterState, members: RosterState['members'], rekey: boolean): RosterState {
  const epoch = r.epoch + 1;
  return { ...r, epoch, head: hash32(), members: [...members].sort((a, b) => (a.id < b.id ? -1 : 1)), rekeyEpoch: rekey ? epoch : r.rekeyEpoch };
}

export function newPeer(groupId: string, sessionId: string, role: Role): Omit<Peer, 'chain'> & { chain?: OwnSenderChain } {
  const ik = newIdentity();
  const id = toBase64Url(ik.publicKey);
  const session = createSessionKey(ik, groupId, sessionId);
  const sessionPk = verifySessionKey(session.signed, { groupId, sessionId, member: id });
  return { ik, id, role, session, sessionPk, rx: createMemoryReceiveState(groupId, sessionId) };
}

export function startChain(p: { id: string }, roster: RosterState, nowMs = 0): OwnSenderChain {
  return createOwnSenderChain({ groupId: roster.groupId, sessionId: roster.session!.id, epoch: roster.epoch, rosterHash: roster.head, sender: p.id, nowMs });
}

/** Seals `from`'s current chain to each of `to`, who open and install it. */
export function distribute(from: Peer, to: Peer[], nowMs = 0): void {
  for (const r of to) {
    const sealed = sealSenderKey(from.chain, { member: r.id, sessionPk: r.sessionPk }, from.session.keyPair);
    installSenderKey(r.rx, openSenderKey(sealed, from.sessionPk, r.session.keyPair, r.id), nowMs);
  }
}

/** A group of `n` (first one facilitator), each with a chain distributed to all the others. */
export function setupGroup(n: number): { groupId: string; sessionId: string; roster: RosterState; peers: Peer[] } {
  const groupId = id16();
  const sessionId = id16();
  const partial = Array.from({ length: n }, (_, i) => newPeer(groupId, sessionId, i === 0 ? 'facilitator' : 'member'));
  const roster = rosterOf(groupId, sessionId, partial.map((p) => ({ id: p.id, role: p.role })));
  const peers = partial.map((p) => ({ ...p, chain: startChain(p, roster) }));
  for (const p of peers) distribute(p, peers.filter((q) => q !== p));
  return { groupId, sessionId, roster, peers };
}
