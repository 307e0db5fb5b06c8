/**
 * The two servers under test, behind one interface: how a planned room is set up on each and how one member
 * connects, authenticates and enters the session. The relay gets the real protocol (challenge signed with the
 * identity key, group genesis, signed admissions, session open, signed acceptance and session key); the baseline
 * gets the same `session.enter` bytes and only joins a room.
 */
import { signAuthChallenge } from '@kindred/shared/crypto';
import { PROTOCOL_VERSION } from '@kindred/shared/protocol';
import type { PlannedMember, RoomPlan } from './roomPlan';
import { RawSocketIo } from './rawSocketIo';
import type { ServerProcess, StatsSource } from './serverProcess';

export const CONNECT_TIMEOUT_MS = 15_000;
export const REQUEST_TIMEOUT_MS = 15_000;

/** `relay-2n`: the relay as two node processes over PostgreSQL and Redis (`--nodes 2`). */
export type TargetName = 'baseline' | 'relay' | 'relay-2n';

export interface Target {
  readonly name: TargetName;
  /** Memory and CPU of the server (summed over its nodes). */
  readonly server: StatsSource;
  /** Everything a room needs before its members connect (untimed); returns the creator, joined. */
  provision(plan: RoomPlan): Promise<RawSocketIo>;
  /** One member: connect, authenticate, enter the open session (what the join rate measures). */
  join(plan: RoomPlan, member: PlannedMember): Promise<RawSocketIo>;
}

/** Sends a request and returns its result, throwing with the relay's error code on `{ ok: false }`. */
export async function request(socket: RawSocketIo, event: string, payload: unknown): Promise<Record<string, unknown>> {
  const [result] = (await socket.emitWithAck(event, payload, REQUEST_TIMEOUT_MS)) as [
    { ok?: boolean; error?: { code?: string; message?: string } } & Record<string, unknown>,
  ];
  if (result?.ok !== true) throw new Error(`${event} refused: ${result?.error?.code ?? 'malformed ack'} ${result?.error?.message ?? ''}`.trim());
  return result;
}

function enterRequest(plan: RoomPlan, member: PlannedMember): Record<string, unknown> {
  return { groupId: plan.groupId, sessionId: plan.sessionId, acceptance: member.acceptance, sessionKey: member.sessionKey };
}

/** Runs `steps` on a freshly opened socket and returns it; a failing step closes the socket before the error goes on. */
async function setUp(socket: RawSocketIo, steps: (socket: RawSocketIo) => Promise<void>): Promise<RawSocketIo> {
  try {
    await steps(socket);
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}

export class BaselineTarget implements Target {
  readonly name = 'baseline' as const;
  constructor(readonly server: ServerProcess) {}

  provision(plan: RoomPlan): Promise<RawSocketIo> {
    return this.join(plan, plan.members[0]!);
  }

  async join(plan: RoomPlan, member: PlannedMember): Promise<RawSocketIo> {
    const socket = await RawSocketIo.connect(this.server.url, { connectTimeoutMs: CONNECT_TIMEOUT_MS });
    return setUp(socket, async (s) => void (await request(s, 'session.enter', enterRequest(plan, member))));
  }
}

/**
 * Which node a member connects to: member k of a room goes to node k mod N (the creator to the first), so that every
 * room has members on every node and each message crosses between nodes.
 */
export function nodeOf(plan: RoomPlan, member: PlannedMember, nodes: number): number {
  const k = plan.members.indexOf(member);
  if (k < 0) throw new Error('member not in the room plan');
  return k % nodes;
}

export class RelayTarget implements Target {
  /** `urls`: one per node; a single-node relay has one. */
  constructor(
    readonly name: 'relay' | 'relay-2n',
    readonly server: StatsSource,
    readonly urls: string[],
  ) {
    if (urls.length === 0) throw new Error('a relay target needs at least one node');
  }

  async provision(plan: RoomPlan): Promise<RawSocketIo> {
    const creator = plan.members[0]!;
    return setUp(await this.authenticated(plan, creator), async (s) => {
      const [genesis, ...rest] = plan.entries;
      await request(s, 'group.create', { genesis });
      for (const entry of rest) await request(s, 'roster.append', { groupId: plan.groupId, entry });
      await request(s, 'session.enter', enterRequest(plan, creator));
    });
  }

  async join(plan: RoomPlan, member: PlannedMember): Promise<RawSocketIo> {
    return setUp(await this.authenticated(plan, member), async (s) => void (await request(s, 'session.enter', enterRequest(plan, member))));
  }

  private async authenticated(plan: RoomPlan, member: PlannedMember): Promise<RawSocketIo> {
    const url = this.urls[nodeOf(plan, member, this.urls.length)]!;
    const socket = await RawSocketIo.connect(url, { connectTimeoutMs: CONNECT_TIMEOUT_MS, auth: { protocol: PROTOCOL_VERSION } });
    return setUp(socket, async (s) => {
      const { challenge } = await request(s, 'auth.challenge', {});
      if (typeof challenge !== 'string') throw new Error('auth.challenge: no challenge');
      await request(s, 'auth.prove', { member: member.memberId, challenge, sig: signAuthChallenge(member.ik, challenge) });
    });
  }
}
