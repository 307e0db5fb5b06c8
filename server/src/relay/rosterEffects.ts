/**
 * What an accepted roster entry changes on the relay, wherever it was appended (here, or on another node and
 * read back by refreshRoster): the entry goes to the group and its waiting room, an admitted knock joins the
 * session, a removed, banned or leaving member is evicted at once, a closed session ends for everyone.
 */
import type { SignedRosterEntry } from '@kindred/shared/protocol';
import { rooms, type RelayContext } from './context';
import type { GroupState, LiveSession } from './groupState';

type EvictReason = 'removed' | 'banned' | 'left';

export function applyRosterEffects(relay: RelayContext, group: GroupState, entry: SignedRosterEntry): void {
  const { io } = relay;
  const { groupId } = group;
  const live = group.session;
  const targets = live ? [rooms.group(groupId), rooms.waiting(groupId, live.id)] : [rooms.group(groupId)];
  io.to(targets).emit('roster.entry', { groupId, entry });

  const op = entry.body.op;
  switch (op.type) {
    case 'admit':
      if (live) admitKnock(relay, live, op.member);
      break;
    case 'remove':
      evictMember(relay, group, op.member, 'removed');
      break;
    case 'ban':
      evictMember(relay, group, op.member, 'banned');
      break;
    case 'leave':
      evictMember(relay, group, op.member, 'left');
      break;
    default:
      break;
  }
  const { closed } = group.syncSession();
  if (closed) endSession(relay, closed);
}

/** Moves a waiting member into the session: joins its sockets, announces it, and tells it who is present. */
function admitKnock(relay: RelayContext, live: LiveSession, member: string): void {
  const waiting = live.waiting.get(member);
  if (!waiting) return;
  live.waiting.delete(member);
  const { io } = relay;
  const { groupId, id: sessionId } = live;
  const memberRoom = rooms.member(groupId, member);
  io.in(memberRoom).socketsLeave(rooms.waiting(groupId, sessionId));
  io.in(memberRoom).socketsJoin([rooms.session(groupId, sessionId), rooms.group(groupId)]);
  for (const [other, p] of live.present) {
    io.to(memberRoom).emit('session.member', { groupId, sessionId, member: other, present: true, sessionKey: p.sessionKey });
  }
  live.present.set(member, { sessionKey: waiting.knock.sessionKey, sockets: new Set(waiting.sockets) });
  live.away.delete(member);
  io.to(rooms.session(groupId, sessionId)).emit('session.member', {
    groupId,
    sessionId,
    member,
    present: true,
    sessionKey: waiting.knock.sessionKey,
  });
}

/** Closes the session for one member at once and forgets its presence, knock and buffered keys. */
export function evictMember(relay: RelayContext, group: GroupState, member: string, reason: EvictReason): void {
  const { io } = relay;
  const { groupId } = group;
  const live = group.session;
  const memberRoom = rooms.member(groupId, member);
  const wasPresent = live?.present.has(member) ?? false;
  if (live) {
    io.to(memberRoom).emit('session.closed', { groupId, sessionId: live.id, reason });
    live.forget(member);
  }
  const leave = [rooms.group(groupId), memberRoom];
  if (live) leave.push(rooms.session(groupId, live.id), rooms.waiting(groupId, live.id));
  io.in(memberRoom).socketsLeave(leave);
  if (live && wasPresent) {
    io.to(rooms.session(groupId, live.id)).emit('session.member', { groupId, sessionId: live.id, member, present: false });
  }
}

/** The session ended: everyone in it or waiting for it is told, leaves its rooms, and its buffers are dropped. */
function endSession(relay: RelayContext, closed: LiveSession): void {
  const { io } = relay;
  const sessionRoom = rooms.session(closed.groupId, closed.id);
  const waitingRoom = rooms.waiting(closed.groupId, closed.id);
  io.to([sessionRoom, waitingRoom]).emit('session.closed', { groupId: closed.groupId, sessionId: closed.id, reason: 'ended' });
  io.in([sessionRoom, waitingRoom]).socketsLeave([sessionRoom, waitingRoom]);
}
