/**
 * What an accepted roster entry changes on the relay, wherever it was appended (here, or on another node and read
 * back by refreshRoster): the entry goes to the group and its waiting room, an admitted knock joins the session, a
 * removed, banned or leaving member is evicted at once, a closed session ends for everyone.
 *
 * Each node applies every entry to its own sockets (io.local), so with several nodes every socket hears each entry
 * once. Presence changes of a node's own sockets go to the whole session room, every node (io.to): only the node
 * that holds the socket knows of the change. On one node both are the same thing.
 */
import type { SignedRosterEntry } from '@kindred/shared/protocol';
import type { RelayContext } from './context';
import { rooms } from './rooms';
import type { GroupState, LiveSession } from './groupState';

type EvictReason = 'removed' | 'banned' | 'left';

/**
 * Reads the entries this node lacks (appended by another node) and applies them. Takes the group's lock. When there
 * were some, the shared head is moved too (best effort): the node that appended them may have failed to move it.
 * What the Redis cluster's catchUp does; on a single node nobody else appends, and the local cluster never calls it.
 */
export function applyStoredEntries(relay: RelayContext, group: GroupState): Promise<void> {
  return group.exclusive(async () => {
    const before = group.session;
    const fresh = await relay.groups.refreshRoster(group);
    for (const e of fresh) await applyRosterEffects(relay, group, e);
    if (fresh.length > 0) await advanceHead(relay, group, before).catch(warnOf(relay, 'moving the shared roster head failed'));
  });
}

/**
 * Moves the shared roster head of the live session (and of `before`, the session as it was before the entries just
 * applied, when they closed it) to the group's roster. Rejects when the shared state cannot be reached.
 */
export async function advanceHead(relay: RelayContext, group: GroupState, before: LiveSession | null): Promise<void> {
  const roster = group.roster;
  const logs = new Set([before?.log, group.session?.log]);
  for (const log of logs) if (log) await log.advanceHead(roster);
}

/** The group, with the entries other nodes appended applied first (nothing to do on a single node). */
export async function currentGroup(relay: RelayContext, groupId: string): Promise<GroupState> {
  const group = await relay.groups.get(groupId);
  // A node may have missed a notice (Redis pub/sub is at most once): storage is the truth, read it before deciding.
  await relay.cluster.catchUp(group);
  return group;
}

/**
 * Applies one accepted entry to this node's sockets at once. The promise settles when the shared state it touched
 * (Redis, with several nodes) is updated too; it never rejects (failures are logged).
 */
export function applyRosterEffects(relay: RelayContext, group: GroupState, entry: SignedRosterEntry): Promise<void> {
  const work: Promise<void>[] = [];
  const local = relay.io.local;
  const { groupId } = group;
  const live = group.session;
  const targets = live ? [rooms.group(groupId), rooms.waiting(groupId, live.id)] : [rooms.group(groupId)];
  local.to(targets).emit('roster.entry', { groupId, entry });

  const op = entry.body.op;
  switch (op.type) {
    case 'admit':
      if (live) work.push(admitKnock(relay, live, op.member));
      break;
    case 'remove':
      work.push(evictMember(relay, group, op.member, 'removed'));
      break;
    case 'ban':
      work.push(evictMember(relay, group, op.member, 'banned'));
      break;
    case 'leave':
      work.push(evictMember(relay, group, op.member, 'left'));
      break;
    default:
      break;
  }
  const { closed } = group.syncSession();
  if (closed) work.push(endSession(relay, closed));
  return Promise.all(work).then(() => undefined);
}

/** Logs a failure of background work on shared state (opaque: the error's class only). */
export function warnOf(relay: RelayContext, what: string): (err: unknown) => void {
  return (err) => relay.deps.log.warn({ err: err instanceof Error ? err.name : 'unknown' }, what);
}

/** Shared-state work that must not fail the caller: a failure is logged. Returns a promise that never rejects. */
export function background(relay: RelayContext, work: Promise<unknown>, what: string): Promise<void> {
  return work.then(() => undefined, warnOf(relay, what));
}

/** Moves a waiting member's sockets on this node into the session, tells it who is present, announces it. */
function admitKnock(relay: RelayContext, live: LiveSession, member: string): Promise<void> {
  const waiting = live.waiting.get(member);
  if (!waiting) return Promise.resolve();
  live.waiting.delete(member);
  const { io } = relay;
  const { groupId, id: sessionId } = live;
  const { sessionKey } = waiting.knock;
  const memberRoom = rooms.member(groupId, member);
  io.local.in(memberRoom).socketsLeave(rooms.waiting(groupId, sessionId));
  io.local.in(memberRoom).socketsJoin([rooms.session(groupId, sessionId), rooms.group(groupId)]);
  for (const id of waiting.sockets) {
    const place = io.sockets.sockets.get(id)?.data.live?.[groupId];
    if (place) delete place.knock;
  }
  // Everyone else present, with their session keys, to the admitted member's sockets (once the directory answers).
  relay.cluster.directory.present(live).then((list) => {
    for (const p of list) {
      if (p.member === member) continue;
      io.local.to(memberRoom).emit('session.member', { groupId, sessionId, member: p.member, present: true, sessionKey: p.sessionKey });
    }
  }, warnOf(relay, 'present list for an admitted member failed'));
  live.present.set(member, { sessionKey, sockets: new Set(waiting.sockets) });
  const arrived = background(relay, live.log.arrived(member), 'clearing an away marker failed');
  io.to(rooms.session(groupId, sessionId)).emit('session.member', { groupId, sessionId, member, present: true, sessionKey });
  return arrived;
}

/** Closes the session for one member's sockets on this node and forgets its presence, knock and buffered keys. */
export function evictMember(relay: RelayContext, group: GroupState, member: string, reason: EvictReason): Promise<void> {
  const { io } = relay;
  const { groupId } = group;
  const live = group.session;
  const memberRoom = rooms.member(groupId, member);
  const wasPresent = live?.present.has(member) ?? false;
  let forgotten = Promise.resolve();
  if (live) {
    io.local.to(memberRoom).emit('session.closed', { groupId, sessionId: live.id, reason });
    forgotten = background(relay, live.forget(member), 'forgetting a member failed');
  }
  const leave = [rooms.group(groupId), memberRoom];
  if (live) leave.push(live.room, rooms.waiting(groupId, live.id));
  io.local.in(memberRoom).socketsLeave(leave);
  if (live && wasPresent) {
    io.to(live.room).emit('session.member', { groupId, sessionId: live.id, member, present: false });
  }
  return forgotten;
}

/** The session ended: everyone in it or waiting for it here is told, leaves its rooms, and its log is dropped. */
function endSession(relay: RelayContext, closed: LiveSession): Promise<void> {
  const local = relay.io.local;
  const sessionRoom = closed.room;
  const waitingRoom = rooms.waiting(closed.groupId, closed.id);
  local.to([sessionRoom, waitingRoom]).emit('session.closed', { groupId: closed.groupId, sessionId: closed.id, reason: 'ended' });
  local.in([sessionRoom, waitingRoom]).socketsLeave([sessionRoom, waitingRoom]);
  return background(relay, closed.log.dispose(), 'dropping a session log failed');
}
