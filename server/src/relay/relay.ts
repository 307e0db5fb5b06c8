/**
 * The hot path: relaying ciphertext. Messages go to the whole session room in one emit (the adapter fans out,
 * no per-recipient work); sealed sender keys and direct boxes go to one member's sockets only. Every check here is
 * on opaque ids and the roster: the relay never decrypts and never logs a payload.
 */
import { isFacilitator, memberMaySend, rosterMember } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import type { ClientRequest, ClientResult, KeyRecipientOutcome, RelayedMessage } from '@kindred/shared/protocol';
import type { Call } from './context';
import { rooms } from './rooms';
import type { GroupState, LiveSession } from './groupState';
import { refuse } from './dispatcher';

/** The live session this socket has joined, or the refusal that says why not. */
function joinedSession(call: Call, group: GroupState, sessionId: string): LiveSession {
  const live = group.openSession(sessionId);
  if (!live) refuse('SESSION_NOT_OPEN');
  if (!live.present.get(call.member)?.sockets.has(call.socket.id)) refuse('NOT_MEMBER', 'not in this session');
  return live;
}

function loadedGroup(call: Call, groupId: string): GroupState {
  // A socket that joined a session has the group loaded on this node; anything else is not in a session here.
  const group = call.relay.groups.peek(groupId);
  if (!group) refuse('SESSION_NOT_OPEN');
  return group;
}

/** How many times a message is judged again after the shared roster head turned out newer than this node's. */
const STALE_RETRIES = 3;

/**
 * Judges the message against this node's roster, then appends it to the session log, which checks that roster
 * against the group's shared head in the same call (the one round trip a message costs). When another node moved
 * the head (this node missed a notice, was cut off from Redis or paused), nothing was appended: the node reads what
 * it lacks from storage, applies it, and judges the message again, so nothing is accepted against an older roster.
 */
export async function messageSend(call: Call, req: ClientRequest<'message.send'>): Promise<ClientResult<'message.send'>> {
  const { envelope } = req;
  const { header } = envelope;
  if (header.sender !== call.member) refuse('FORBIDDEN', 'sender is not the signed-in member');
  for (let attempt = 0; ; attempt++) {
    const group = loadedGroup(call, header.groupId);
    const live = joinedSession(call, group, header.sessionId);
    const roster = group.roster;
    if (!rosterMember(roster, call.member)) refuse('NOT_MEMBER');
    if (!memberMaySend(roster, call.member)) refuse('MUTED');
    const now = call.relay.now();
    // Slow mode paces chat from members; facilitators and control signals (typing, hands) are not paced.
    const paced = header.type === 'chat' && roster.policy.slowModeSeconds > 0 && !isFacilitator(roster, call.member);
    if (paced && attempt === 0) {
      const last = live.lastChat.get(call.member);
      if (last !== undefined && now - last < roster.policy.slowModeSeconds * 1000) refuse('SLOW_MODE');
      live.lastChat.set(call.member, now);
    }
    const appended = await live.log.append(envelope, now, roster);
    if (appended.status === 'new') return broadcast(call, group, live, appended.relayed);
    if (appended.status === 'duplicate') return { seq: appended.seq }; // pushed when it was first appended
    if (attempt + 1 >= STALE_RETRIES) refuse('UNAVAILABLE', 'the roster is changing');
    await call.relay.cluster.catchUp(group);
  }
}

function broadcast(call: Call, group: GroupState, live: LiveSession, relayed: RelayedMessage): ClientResult<'message.send'> {
  call.relay.outbox.flush(); // the keys this message may be encrypted under go first
  // Not to anyone who left the roster in this session, whichever node holds their sockets and whatever it has applied.
  const departed = group.departedRooms();
  const to = call.relay.io.to(live.room);
  (departed.length > 0 ? to.except(departed) : to).emit('message', relayed);
  call.relay.deps.metrics.relayed(call.requestBytes);
  return { seq: relayed.seq };
}

/**
 * Sealed sender keys, answered per recipient: a recipient outside the roster is refused by name (NOT_MEMBER) and never
 * fails the keys of the others. A roster member not present right now (away for a moment, on a node that lost Redis
 * or is paused, or not yet entered) has its keys queued in the session log for its (re-)entry, within the buffer's
 * bounds and TTL; they are sealed to its session key, so they are of no use to anyone else. What only the caller can
 * get wrong (a key for another session, or from another member) refuses the whole request.
 */
export async function keysDistribute(call: Call, req: ClientRequest<'keys.distribute'>): Promise<ClientResult<'keys.distribute'>> {
  const { relay } = call;
  const group = loadedGroup(call, req.groupId);
  const live = joinedSession(call, group, req.sessionId);
  const now = relay.now();
  for (const sealed of req.sealed) {
    if (sealed.groupId !== req.groupId || sealed.sessionId !== req.sessionId) refuse('WRONG_SESSION');
    if (sealed.from !== call.member) refuse('FORBIDDEN', 'sealed key from another member');
  }
  // Who is present, on every node; when another node cannot say now, everyone is queued (and pushed all the same).
  const isPresent = await relay.cluster.directory.presentNow(live).catch((err: unknown) => {
    if (isKindredError(err, 'UNAVAILABLE')) return undefined;
    throw err;
  });
  const outcomes = new Map<string, KeyRecipientOutcome>();
  for (const to of new Set(req.sealed.map((s) => s.to))) {
    if (!rosterMember(group.roster, to)) outcomes.set(to, { to, outcome: 'refused', code: 'NOT_MEMBER' });
    else outcomes.set(to, { to, outcome: isPresent?.(to) ? 'delivered' : 'queued' });
  }
  const accepted = req.sealed.filter((s) => outcomes.get(s.to)?.outcome !== 'refused');
  await live.log.bufferSealed(accepted, now);
  for (const sealed of accepted) relay.outbox.add(rooms.member(req.groupId, sealed.to), sealed);
  return { recipients: [...outcomes.values()] };
}

export async function directSend(call: Call, req: ClientRequest<'direct.send'>): Promise<ClientResult<'direct.send'>> {
  const { box } = req;
  if (box.from !== call.member) refuse('FORBIDDEN', 'box from another member');
  const group = loadedGroup(call, box.groupId);
  const live = group.openSession(box.sessionId);
  if (!live) refuse('SESSION_NOT_OPEN');
  // Someone waiting to be admitted may also need to reach a facilitator privately.
  const inSession = live.present.get(call.member)?.sockets.has(call.socket.id) || live.waiting.get(call.member)?.sockets.has(call.socket.id);
  if (!inSession) refuse('NOT_MEMBER', 'not in this session');
  // To a facilitator from anyone in the session; from a facilitator back to a member of the roster (a read receipt).
  const toFacilitator = isFacilitator(group.roster, box.to);
  const facilitatorToMember = isFacilitator(group.roster, call.member) && group.roster.members.some((m) => m.id === box.to);
  if (!toFacilitator && !facilitatorToMember) refuse('NOT_FACILITATOR', 'recipient is not a facilitator');
  if (!(await call.relay.cluster.directory.isPresent(live, box.to))) refuse('NOT_FOUND', 'recipient not present');
  call.relay.io.to(rooms.member(box.groupId, box.to)).emit('direct', { box });
  return {};
}

/**
 * A peer box (protocol v2): from a member joined in the session to another member of the roster present in it. The
 * relay sees opaque ids and ciphertext only; what is inside (roster entries, or a request for them) is for the two
 * members. Bounded like every event (schema size, rate limit).
 */
export async function peerSend(call: Call, req: ClientRequest<'peer.send'>): Promise<ClientResult<'peer.send'>> {
  const { box } = req;
  if (box.from !== call.member) refuse('FORBIDDEN', 'box from another member');
  if (box.to === call.member) refuse('BAD_REQUEST', 'box to oneself');
  const group = loadedGroup(call, box.groupId);
  const live = joinedSession(call, group, box.sessionId);
  if (!rosterMember(group.roster, box.to)) refuse('NOT_MEMBER', 'recipient not in the roster');
  if (!(await call.relay.cluster.directory.isPresent(live, box.to))) refuse('NOT_FOUND', 'recipient not present');
  call.relay.io.to(rooms.member(box.groupId, box.to)).emit('peer', { box });
  return {};
}
