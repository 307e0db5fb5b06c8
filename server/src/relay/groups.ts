/**
 * Groups, invites and the roster: creation from a genesis signed by the authenticated member, invites published
 * by facilitators (the relay keeps only the gate hash and the encrypted card), opening an invite with its gate
 * token, reading the roster, and appending entries verified exactly as clients verify them.
 */
import { checkInviteGate, isFacilitator, rosterEntryHash, rosterMember } from '@kindred/shared/crypto';
import type { RosterState } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import type { ClientRequest, ClientResult } from '@kindred/shared/protocol';
import type { Call, RelayContext } from './context';
import { rooms } from './rooms';
import type { GroupState } from './groupState';
import { evicted } from './evicted';
import { advanceHead, applyRosterEffects, currentGroup, warnOf } from './rosterEffects';
import { RosterChain } from './rosterChain';
import { refuse } from './dispatcher';

function requireFacilitator(roster: RosterState, member: string): void {
  if (!isFacilitator(roster, member)) refuse('NOT_FACILITATOR');
}

/** Joins this socket to the group's room (roster pushes) and its member room (targeted pushes, evictions). */
export function followGroup(call: Call, groupId: string): void {
  void call.socket.join([rooms.group(groupId), rooms.member(groupId, call.member)]);
  call.conn.groups.add(groupId);
}

export async function groupCreate(call: Call, req: ClientRequest<'group.create'>): Promise<ClientResult<'group.create'>> {
  const { genesis } = req;
  if (genesis.body.signer !== call.member) refuse('FORBIDDEN', 'the genesis must be signed by the signed-in member');
  const groupId = genesis.body.groupId;
  const chain = RosterChain.fromGenesis(genesis, groupId);
  const { storage } = call.relay.deps;
  await storage.createGroup({ groupId, creator: call.member, genesis, genesisHash: rosterEntryHash(genesis) });
  call.relay.groups.add(groupId, chain);
  followGroup(call, groupId);
  return {};
}

export async function inviteCreate(call: Call, req: ClientRequest<'invite.create'>): Promise<ClientResult<'invite.create'>> {
  const group = await currentGroup(call.relay, req.groupId);
  requireFacilitator(group.roster, call.member);
  await call.relay.deps.storage.putInvite({
    groupId: req.groupId,
    inviteId: req.inviteId,
    gateHash: req.gateHash,
    card: req.card,
    createdBy: call.member,
  });
  return {};
}

/** A new card revision for a live invite (facilitators): encrypted under that invite's secret, unreadable here. */
export async function inviteCard(call: Call, req: ClientRequest<'invite.card'>): Promise<ClientResult<'invite.card'>> {
  const group = await currentGroup(call.relay, req.groupId);
  requireFacilitator(group.roster, call.member);
  if (!(await call.relay.deps.storage.replaceInviteCard(req.groupId, req.inviteId, req.card))) refuse('NOT_FOUND');
  return {};
}

export async function inviteRevoke(call: Call, req: ClientRequest<'invite.revoke'>): Promise<ClientResult<'invite.revoke'>> {
  const group = await currentGroup(call.relay, req.groupId);
  requireFacilitator(group.roster, call.member);
  const revoked = await call.relay.deps.storage.revokeInvite(req.groupId, req.inviteId);
  if (!revoked) refuse('NOT_FOUND');
  return {};
}

/**
 * Checks an invite's gate token in constant time against the stored hash. Unknown, revoked and wrong look the
 * same to the caller (INVITE_INVALID), so the relay does not confirm which invites exist.
 */
export async function requireValidInvite(call: Call, group: GroupState, inviteId: string, gateToken: string): Promise<void> {
  const invite = await call.relay.deps.storage.getInvite(group.groupId, inviteId);
  const valid = invite !== undefined && checkInviteGate(gateToken, invite.gateHash);
  if (!valid || invite.revoked) refuse('INVITE_INVALID');
  if (group.roster.banned.includes(call.member)) refuse('BANNED');
  call.conn.openedInvites.set(group.groupId, inviteId);
}

export async function inviteOpen(call: Call, req: ClientRequest<'invite.open'>): Promise<ClientResult<'invite.open'>> {
  const group = await currentGroup(call.relay, req.groupId).catch((err: unknown) => {
    // An unknown group is an invalid invite: do not confirm which groups exist.
    if (isKindredError(err, 'NOT_FOUND')) refuse('INVITE_INVALID');
    throw err;
  });
  await requireValidInvite(call, group, req.inviteId, req.gateToken);
  const invite = await call.relay.deps.storage.getInvite(req.groupId, req.inviteId);
  if (!invite) refuse('INVITE_INVALID');
  return { card: invite.card, roster: group.chain.since(-1) };
}

export async function rosterGet(call: Call, req: ClientRequest<'roster.get'>): Promise<ClientResult<'roster.get'>> {
  const group = await currentGroup(call.relay, req.groupId);
  const roster = group.roster;
  if (roster.banned.includes(call.member)) refuse('BANNED');
  const member = rosterMember(roster, call.member) !== undefined;
  if (!member && !call.conn.openedInvites.has(req.groupId)) refuse('NOT_MEMBER');
  if (member) followGroup(call, req.groupId);
  return { entries: group.chain.since(req.sinceEpoch) };
}

export async function rosterAppend(call: Call, req: ClientRequest<'roster.append'>): Promise<ClientResult<'roster.append'>> {
  const { entry } = req;
  if (entry.body.groupId !== req.groupId) refuse('ROSTER_WRONG_GROUP');
  // Each device appends what it signed itself: who appended is who signed (leave included).
  if (entry.body.signer !== call.member) refuse('FORBIDDEN', 'the entry must be signed by the signed-in member');
  const { relay } = call;
  // With several nodes this node may not have heard of the entry the client signed on: it catches up first.
  const group = await currentGroup(relay, req.groupId);
  const result = await group.exclusive(async () => {
    // Someone (here or on another node) got there first: the client must refresh and re-sign on the new head.
    if (entry.body.epoch <= group.chain.epoch) refuse('CONFLICT');
    const next = group.chain.check(entry);
    const hash = next.head;
    try {
      await relay.deps.storage.appendRosterEntry({ groupId: req.groupId, epoch: entry.body.epoch, hash, entry });
    } catch (err) {
      if (isKindredError(err, 'CONFLICT')) {
        // Another node appended at this epoch: catch up with the stored chain and let the client retry.
        const fresh = await relay.groups.refreshRoster(group);
        for (const e of fresh) await applyRosterEffects(relay, group, e);
      }
      throw err;
    }
    const before = group.session;
    group.chain.accept([entry]);
    await applyRosterEffects(relay, group, entry);
    // The entry is durable; the shared head moves before anyone hears of it, so that from now on every node's next
    // message in the session is refused until that node has read the entry (relay.ts). A session the entry closed
    // keeps its head too: a node that missed the close must not go on relaying in it.
    await advanceHead(relay, group, before);
    return { epoch: next.epoch };
  });
  // Every other node applies the entry to its own sockets before the facilitator hears it is done: a mute, removal,
  // ban or lock is then enforced everywhere (outside the group's lock: the others do not need it).
  if (!relay.closing) await relay.cluster.rosterAppended(req.groupId, result.epoch, evicted(entry));
  const { op } = entry.body;
  if (op.type === 'role' && op.role === 'facilitator') {
    // The entry is stored and applied: failing to show the waiting room (another node too slow to answer) must not
    // fail the request; the new facilitator still gets every knock that comes next, and all of them on re-entering.
    await showWaitingTo(relay, group, op.member).catch(warnOf(relay, 'could not show the waiting knocks to a new facilitator'));
  }
  return result;
}

/**
 * A member made facilitator during a session gets the knocks already waiting, not only those still to come, and
 * the waiting room hears of it as of any facilitator's arrival (to introduce themselves to it). Sent after every
 * node applied the entry (and pushed it to its sockets): a client takes knocks only once its verified roster says it
 * is a facilitator, and on each socket the entry arrives first.
 */
async function showWaitingTo(relay: RelayContext, group: GroupState, member: string): Promise<void> {
  const live = group.session;
  if (!live) return;
  const { groupId } = group;
  for (const knock of await relay.cluster.directory.knocks(live)) relay.io.to(rooms.member(groupId, member)).emit('session.knock', knock);
  const promoted = (await relay.cluster.directory.present(live)).find((p) => p.member === member);
  if (promoted) {
    relay.io.to(rooms.waiting(groupId, live.id)).emit('session.member', { groupId, sessionId: live.id, member, present: true, sessionKey: promoted.sessionKey });
  }
}
