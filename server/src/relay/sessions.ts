/**
 * Entering and leaving the live session. A roster member with this session's signed acceptance and a signed
 * session key joins at once and gets who is present, what it missed after `lastSeq`, and the sender keys sealed
 * to it while it was away. Anyone else needs a valid invite gate token and waits for a facilitator's admit entry.
 * The relay checks signatures, members and ids; it cannot check the rules digest against the encrypted card
 * (clients and facilitators do).
 */
import { isFacilitator, rosterMember, verifyAcceptance, verifyKnockProof, verifySessionKey } from '@kindred/shared/crypto';
import type { ClientRequest, ClientResult, Knock, PresentMember } from '@kindred/shared/protocol';
import type { Call, RelayContext } from './context';
import { rooms } from './rooms';
import type { RelaySocket } from './socketTypes';
import type { GroupState, LiveSession } from './groupState';
import { followGroup, requireValidInvite } from './groups';
import { background, currentGroup, warnOf } from './rosterEffects';
import { refuse } from './dispatcher';

export async function sessionEnter(call: Call, req: ClientRequest<'session.enter'>): Promise<ClientResult<'session.enter'>> {
  const { relay, member } = call;
  const group = await currentGroup(relay, req.groupId);
  const live = group.openSession(req.sessionId);
  if (!live) refuse('SESSION_NOT_OPEN');
  const expected = { groupId: req.groupId, sessionId: req.sessionId, member };
  // The relay cannot read the card, so it cannot check the rules digest: it passes the acceptance's own digest
  // and checks signature, member and ids; clients and facilitators check the digest against the card.
  verifyAcceptance(req.acceptance, { ...expected, rulesDigest: req.acceptance.body.rulesDigest });
  verifySessionKey(req.sessionKey, expected);
  const roster = group.roster;
  if (roster.banned.includes(member)) refuse('BANNED');

  if (rosterMember(roster, member)) return enterJoined(call, group, live, req);

  if (req.inviteId === undefined || req.gateToken === undefined) refuse('NOT_MEMBER');
  await requireValidInvite(call, group, req.inviteId, req.gateToken);
  if (roster.locked) refuse('SESSION_LOCKED');
  // Defence in depth: the relay checks the knock's invite proof against its own verified roster as facilitators do
  // (clients never rely on it), through the invite whose gate token was presented.
  const invite = verifyKnockProof(req.knockProof, { ...expected, acceptance: req.acceptance, sessionKey: req.sessionKey }, roster);
  if (invite.id !== req.inviteId) refuse('KNOCK_UNPROVEN', 'the proof names another invite than the gate token');
  // A knocker hears of the facilitators present (their signed session keys), to introduce itself to them privately.
  const facilitators = await knock(call, group, live, req);
  return { status: 'waiting', present: facilitators, missed: [], sealed: [], waiting: [] };
}

/** Most sockets of one member in one live session on one node (tabs, devices); more are refused. */
export const MAX_SOCKETS_PER_MEMBER = 8;

/**
 * A member enters: all or nothing. The socket joins the session's rooms first (so that nothing relayed after the
 * log's answer below is missed before its first push), then everything the answer needs is read; only then is it
 * registered as present and announced. If any read fails (Redis, another node not answering), or the roster no
 * longer lets it in by then, the rooms are left again and nothing of the attempt remains: the client may simply retry.
 */
async function enterJoined(call: Call, group: GroupState, live: LiveSession, req: ClientRequest<'session.enter'>): Promise<ClientResult<'session.enter'>> {
  const { relay, member, socket } = call;
  const mine = live.present.get(member)?.sockets;
  if (mine && !mine.has(socket.id) && mine.size >= MAX_SOCKETS_PER_MEMBER) refuse('TOO_MANY_CONNECTIONS');
  if (req.lastSeq !== undefined && !call.conn.resumes.take(relay.now())) refuse('RATE_LIMITED', 'resume requests on this connection');
  const undo = enterRooms(call, group, live);
  try {
    // With several nodes: this node hears the session's rooms before the seq below is read, so every message
    // numbered after it reaches this socket.
    await relay.cluster.subscribed([live.room, rooms.group(group.groupId), rooms.member(group.groupId, member)]);
    const now = relay.now();
    const { directory } = relay.cluster;
    const [present, waiting, missed, sealed, seq] = await Promise.all([
      directory.present(live),
      isFacilitator(group.roster, member) ? directory.knocks(live) : [],
      req.lastSeq === undefined ? [] : live.log.missedAfter(req.lastSeq, now),
      live.log.sealedFor(member, now),
      live.log.currentSeq(),
    ]);
    // The roster may have moved while the answers came (a removal, the session's end): judge the entry again.
    if (group.openSession(req.sessionId) !== live) refuse('SESSION_NOT_OPEN');
    if (!rosterMember(group.roster, member)) refuse('NOT_MEMBER');
    registerPresent(call, group, live, req);
    const others = present.filter((p) => p.member !== member);
    return { status: 'joined', seq, present: [...others, { member, sessionKey: req.sessionKey }], missed, sealed, waiting };
  } catch (err) {
    undo();
    throw err;
  }
}

/** Joins the socket to the group's and the session's rooms; returns what takes back exactly the rooms it joined. */
function enterRooms(call: Call, group: GroupState, live: LiveSession): () => void {
  const { socket, conn } = call;
  const before = new Set(socket.rooms);
  const wasFollowing = conn.groups.has(group.groupId);
  followGroup(call, group.groupId);
  void socket.join(live.room);
  return () => {
    for (const room of [...socket.rooms]) if (!before.has(room)) void socket.leave(room);
    if (!wasFollowing) conn.groups.delete(group.groupId);
  };
}

/** The entry succeeded: the socket is present (its place on socket.data for the other nodes), and announced. */
function registerPresent(call: Call, group: GroupState, live: LiveSession, req: ClientRequest<'session.enter'>): void {
  const { socket, member, relay } = call;
  (socket.data.live ??= {})[group.groupId] = { sessionId: live.id, sessionKey: req.sessionKey };
  const existing = live.present.get(member);
  const sockets = existing?.sockets ?? new Set<string>();
  sockets.add(socket.id);
  live.present.set(member, { sessionKey: req.sessionKey, sockets });
  background(relay, live.log.arrived(member), 'clearing an away marker failed');
  live.waiting.delete(member);
  // A facilitator's arrival is also told to the waiting room: those waiting introduce themselves to it.
  const audience = isFacilitator(group.roster, member)
    ? socket.to(live.room).to(rooms.waiting(group.groupId, live.id))
    : socket.to(live.room);
  audience.emit('session.member', {
    groupId: group.groupId,
    sessionId: live.id,
    member,
    present: true,
    sessionKey: req.sessionKey,
  });
}

/** Puts the socket in the waiting room and shows its knock to the facilitators present; returns those facilitators. */
async function knock(call: Call, group: GroupState, live: LiveSession, req: ClientRequest<'session.enter'>): Promise<PresentMember[]> {
  const { socket, member, relay } = call;
  const { groupId } = group;
  // Read first: a knock that cannot be shown (another node not answering) leaves nothing behind.
  const facilitators = (await relay.cluster.directory.present(live)).filter((p) => isFacilitator(group.roster, p.member));
  void socket.join([rooms.waiting(groupId, live.id), rooms.member(groupId, member)]);
  call.conn.groups.add(groupId);
  const knockObject: Knock = { groupId, sessionId: live.id, member, acceptance: req.acceptance, sessionKey: req.sessionKey, proof: req.knockProof };
  (socket.data.live ??= {})[groupId] = { sessionId: live.id, sessionKey: req.sessionKey, knock: knockObject };
  const sockets = live.waiting.get(member)?.sockets ?? new Set<string>();
  sockets.add(socket.id);
  live.waiting.set(member, { knock: knockObject, sockets });
  // Knocks are rare: a push to each present facilitator's own room (on whichever node) is cheap.
  for (const f of facilitators) relay.io.to(rooms.member(groupId, f.member)).emit('session.knock', knockObject);
  return facilitators;
}

export async function sessionLeave(call: Call, req: ClientRequest<'session.leave'>): Promise<ClientResult<'session.leave'>> {
  const group = call.relay.groups.peek(req.groupId);
  if (group) leaveSession(call.relay, group, call.socket, false);
  return {};
}

/**
 * Takes one socket out of the group's live session. When it was the member's last socket there (on every node),
 * the room hears presence false; on a disconnect the member stays reachable (sealed keys buffered) until the buffer
 * TTL, so a reconnect resumes with lastSeq, on this node or another.
 */
export function leaveSession(relay: RelayContext, group: GroupState, socket: RelaySocket, disconnected: boolean): void {
  const live = group.session;
  const member = socket.data.member;
  if (!live || member === undefined) return;
  const { groupId } = group;
  if (!disconnected) void socket.leave(live.room);
  if (!disconnected) void socket.leave(rooms.waiting(groupId, live.id));
  if (socket.data.live?.[groupId]?.sessionId === live.id) delete socket.data.live[groupId];

  const waiting = live.waiting.get(member);
  if (waiting) {
    waiting.sockets.delete(socket.id);
    if (waiting.sockets.size === 0) live.waiting.delete(member);
  }
  const present = live.present.get(member);
  if (!present || !present.sockets.delete(socket.id) || present.sockets.size > 0) return;
  live.present.delete(member);
  if (disconnected) background(relay, live.log.markAway(member, relay.now()), 'marking a member away failed');
  const absent = (): void => {
    relay.io.to(live.room).emit('session.member', { groupId, sessionId: live.id, member, present: false });
  };
  // A node shutting down announces its members gone (each re-enters wherever its client reconnects) without
  // asking the other nodes: its Redis client is closing.
  if (relay.closing) return absent();
  // With several nodes the member may still have a socket on another one: ask after leaving here, so that of two
  // sockets leaving on two nodes at once at least one sees the other gone.
  relay.cluster.directory.isPresent(live, member).then((still) => !still && absent(), warnOf(relay, 'presence check failed'));
}

/** A connection closed: presence false wherever it was; buffers stay for its reconnect. */
export function handleDisconnect(relay: RelayContext, socket: RelaySocket, groupIds: Iterable<string>): void {
  for (const groupId of groupIds) {
    const group = relay.groups.peek(groupId);
    if (group) leaveSession(relay, group, socket, true);
  }
}
