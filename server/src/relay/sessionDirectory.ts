/**
 * Who is present in a live session (with their signed session keys) and who waits to be admitted (with their knocks).
 * On one node these are the LiveSession maps. With several nodes the sockets themselves are the directory: each
 * socket carries its place in `socket.data.live`, and `fetchSockets()` through the Redis adapter asks every live node
 * for the sockets in the session (or waiting) room. A node that dies takes its sockets with it, so nothing stale is
 * left behind and there is no second copy to keep in agreement. It costs one round trip to the other nodes, paid
 * only on rare events (entering, admitting, knocking, distributing keys, leaving), never per relayed message.
 */
import type { Knock, PresentMember, SignedSessionKey } from '@kindred/shared/protocol';
import { KindredError } from '@kindred/shared/errors';
import { rooms } from './rooms';
import type { RelayServer, RelaySocketData } from './socketTypes';
import type { LiveSession } from './groupState';

export interface SessionDirectory {
  /** Every member present in the session, once each, with its session key. */
  present(live: LiveSession): Promise<PresentMember[]>;
  /** A test of presence, taken now (one lookup for many recipients). */
  presentNow(live: LiveSession): Promise<(member: string) => boolean>;
  /** Has the member a socket in the session on any node? */
  isPresent(live: LiveSession, member: string): Promise<boolean>;
  /** The knocks of everyone waiting, once per member. */
  knocks(live: LiveSession): Promise<Knock[]>;
}

/** One node: the LiveSession maps are the whole truth (read when asked; the promise is settled at once). */
export const localDirectory: SessionDirectory = {
  present: async (live) => [...live.present].map(([member, p]) => ({ member, sessionKey: p.sessionKey })),
  presentNow: async (live) => (member) => live.present.has(member),
  isPresent: async (live, member) => live.present.has(member),
  knocks: async (live) => [...live.waiting.values()].map((w) => w.knock),
};

interface SocketView {
  rooms: Set<string>;
  data: Partial<RelaySocketData>;
}

/** Several nodes: every node's sockets, through the adapter. */
export function clusterDirectory(io: RelayServer, closing: () => boolean): SessionDirectory {
  async function socketsIn(room: string): Promise<SocketView[]> {
    // A node shutting down asks nobody: its Redis client is closing under it.
    if (closing()) throw new KindredError('UNAVAILABLE', 'this relay node is shutting down');
    try {
      return await io.in(room).fetchSockets();
    } catch (e) {
      // A node did not answer within the adapter's request timeout.
      throw new KindredError('UNAVAILABLE', 'relay nodes did not answer', { cause: e });
    }
  }

  function placesIn(sockets: SocketView[], live: LiveSession): Map<string, { sessionKey: SignedSessionKey; knock?: Knock }> {
    const out = new Map<string, { sessionKey: SignedSessionKey; knock?: Knock }>();
    for (const s of sockets) {
      const member = s.data.member;
      const place = s.data.live?.[live.groupId];
      if (member !== undefined && place?.sessionId === live.id) out.set(member, place);
    }
    return out;
  }

  async function presentMap(live: LiveSession): Promise<Map<string, { sessionKey: SignedSessionKey }>> {
    return placesIn(await socketsIn(live.room), live);
  }

  return {
    async present(live) {
      return [...(await presentMap(live))].map(([member, p]) => ({ member, sessionKey: p.sessionKey }));
    },
    async presentNow(live) {
      const present = await presentMap(live);
      return (member) => present.has(member);
    },
    async isPresent(live, member) {
      const sessionRoom = live.room;
      const sockets = await socketsIn(rooms.member(live.groupId, member));
      return sockets.some((s) => s.rooms.has(sessionRoom));
    },
    async knocks(live) {
      const waiting = placesIn(await socketsIn(rooms.waiting(live.groupId, live.id)), live);
      const out: Knock[] = [];
      for (const p of waiting.values()) if (p.knock) out.push(p.knock);
      return out;
    },
  };
}
