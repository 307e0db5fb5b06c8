/**
 * Three relay node processes on the machine's PostgreSQL and a Redis (the machine's, or a three-master Redis Cluster:
 * faults.test.ts and faultsOnRedisCluster.test.ts declare these tests once each), each node reaching Redis only
 * through fault proxies of the test's own (proxiedRedis.ts: one per master), with engine clients sending steadily while one node is faulted: its Redis
 * connection cut for 0.5 s and for 15 s, the node paused (SIGSTOP, longer than the 5 s the others wait for it) and
 * resumed, the node killed and restarted. Meanwhile the facilitator (on a healthy node) mutes one member and removes
 * another, both connected to the faulted node. After each fault:
 *  - no message of the muted member is accepted (answered with a seq) or shown by anyone when its send started after
 *    the facilitator's mute was acknowledged;
 *  - the removed member's socket receives nothing whose send started after its removal was acknowledged;
 *  - every client can send again within the fault plus RECOVERY_BOUND_MS (a generous bound for a loaded 2-core
 *    machine: the relay's Redis back-off, the clients' reconnect back-off, a resume);
 *  - every message answered with a seq is shown once by every client present throughout (the muted member's own
 *    messages from before the mute excepted: an engine may drop them once it has verified the mute), nothing twice.
 * No timed assertion: the bound above is a deadline for waiting, not a measurement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KindredClient } from '@kindred/client/engine';
import { isKindredError } from '@kindred/shared/errors';
import type { RelayedMessage } from '@kindred/shared/protocol';
import { admitThroughInvite, card, closeAll, newClient, policy, until } from '../support/engineClients';
import { onRedis, startCluster, type ChildNode, type RedisKind, type RedisUnderTest, type TestCluster } from './cluster';
import { sessionApartFromNotices } from './shards';
import { ProxiedRedis } from './proxiedRedis';

/** After a fault ends, every client can send again within this long (generous on a loaded 2-core machine). */
const RECOVERY_BOUND_MS = 30_000;
/** Each client sends one message per this interval while a scenario runs. */
const SEND_INTERVAL_MS = 150;

/** Three relay node processes, node i reaching Redis through paths[i] only; the clients the tests opened. */
interface Rig {
  cluster?: TestCluster;
  redis?: RedisUnderTest;
  paths: ProxiedRedis[];
  nodes: ChildNode[];
  open: KindredClient[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The facilitator waits longer than the 5 s the relay gives a node that does not confirm a roster entry. */
async function client(rig: Rig, node: number, name: string, requestTimeoutMs = 5_000): Promise<KindredClient> {
  const c = await newClient({ url: rig.nodes[node]!.url }, { name, requestTimeoutMs });
  rig.open.push(c);
  return c;
}

interface Sent {
  text: string;
  /** The message id (sender:keyId:counter) when the relay answered with a seq. */
  id?: string;
  startedAt: number;
  error?: string;
}

/** One client sending a numbered message every SEND_INTERVAL_MS until stopped. */
class Sender {
  readonly sent: Sent[] = [];
  private running = true;
  private readonly loop: Promise<void>;
  constructor(
    readonly client: KindredClient,
    readonly name: string,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const entry: Sent = { text: `${this.name}-${i}`, startedAt: Date.now() };
      this.sent.push(entry);
      try {
        entry.id = (await this.client.send(entry.text)).id;
      } catch (e) {
        entry.error = isKindredError(e) ? e.code : String(e);
      }
      await sleep(SEND_INTERVAL_MS);
    }
  }

  /** Resolves once a send that started at or after `since` was answered with a seq. */
  async sentSince(since: number): Promise<void> {
    const deadline = Date.now() + RECOVERY_BOUND_MS;
    while (!this.sent.some((s) => s.startedAt >= since && s.id !== undefined)) {
      if (Date.now() > deadline) {
        const last = this.sent.slice(-5).map((m) => m.error ?? 'ok');
        throw new Error(`${this.name} could not send within ${RECOVERY_BOUND_MS} ms after the fault (last answers: ${last.join(', ')})`);
      }
      await sleep(100);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

const shown = (c: KindredClient): string[] => (c.getState().session?.messages ?? []).map((m) => m.text);

/**
 * A facilitator on node 0 with a group and an open session it has entered. On a Redis Cluster, a session whose
 * messages travel on another master than the nodes' roster notices (a new group until one does; two in three do):
 * the case where a node can read messages sent after a removal before the notice of it.
 */
async function openGroup(rig: Rig): Promise<{ fac: KindredClient; fragment: string }> {
  for (let attempt = 1; ; attempt++) {
    const fac = await client(rig, 0, 'Facilitator', 15_000);
    const { fragment, groupId } = await fac.createGroup(card(), policy());
    await fac.openSession();
    fac.acceptRules(true);
    expect(await fac.enterSession()).toBe('joined');
    const { target } = rig.redis!; // set in beforeAll
    const sessionId = fac.getState().session!.sessionId; // entered just above
    if (!target.cluster || (await sessionApartFromNotices(target.url, rig.cluster!.prefix, groupId, sessionId))) return { fac, fragment };
    if (attempt === 10) throw new Error('ten sessions in a row on the same master as the roster notices');
    fac.close();
  }
}

/**
 * A facilitator on node 0 and an observer on node 2; on `faulted`: an observer, a member muted and a member removed
 * during the fault. `fault(during)` runs the fault and calls `during()` (the moderation) while it lasts.
 */
async function scenario(rig: Rig, faulted: number, fault: (during: () => Promise<void>) => Promise<void>): Promise<void> {
  const healthy = faulted === 2 ? 1 : 2;
  const { fac, fragment } = await openGroup(rig);
  const far = await client(rig, healthy, 'Far');
  const near = await client(rig, faulted, 'Near');
  const muted = await client(rig, faulted, 'Muted');
  const removed = await client(rig, faulted, 'Removed');
  for (const m of [far, near, muted, removed]) await admitThroughInvite(fac, m, fragment);
  const everyone = [fac, far, near, muted, removed];
  for (const c of everyone) await until(c, (s) => everyone.every((o) => s.session?.present.includes(o.me) ?? false), 'everyone present');

  // What the removed member's socket receives, whatever its engine makes of it.
  const toRemoved: string[] = [];
  removed.connection.onPush('message', (m: RelayedMessage) => {
    const h = m.envelope.header;
    toRemoved.push(`${h.sender}:${h.keyId}:${h.counter}`);
  });

  const senders = [new Sender(fac, 'fac'), new Sender(far, 'far'), new Sender(near, 'near'), new Sender(muted, 'muted')];
  try {
    await faultWithTraffic(fac, muted, removed, [fac, far, near], senders, toRemoved, fault);
  } catch (err) {
    // KINDRED_FAULTS_DEBUG=1 prints what the nodes logged (warnings and above) when a scenario fails.
    if (process.env.KINDRED_FAULTS_DEBUG) for (const [i, n] of rig.nodes.entries()) console.log(`node ${i}:\n${n.output.join('').slice(-6000)}`);
    throw err;
  } finally {
    await Promise.all(senders.map((s) => s.stop()));
    closeAll(everyone);
  }
}

async function faultWithTraffic(
  fac: KindredClient,
  muted: KindredClient,
  removed: KindredClient,
  observers: KindredClient[],
  senders: Sender[],
  toRemoved: string[],
  fault: (during: () => Promise<void>) => Promise<void>,
): Promise<void> {
  await sleep(1_000); // steady traffic before the fault
  let mutedAt = Infinity;
  let removedAt = Infinity;
  await fault(async () => {
    await fac.mute(muted.me);
    mutedAt = Date.now();
    await fac.remove(removed.me);
    removedAt = Date.now();
  });
  const faultEnded = Date.now();
  expect(mutedAt).toBeLessThan(Infinity);
  expect(removedAt).toBeLessThan(Infinity);
  // Everyone who may send can send again within the bound.
  await Promise.all(senders.filter((s) => s.name !== 'muted').map((s) => s.sentSince(faultEnded)));
  await sleep(1_000);
  await Promise.all(senders.map((s) => s.stop()));

  // A barrier: once each observer shows the last message of every sender, everything before it has arrived.
  const accepted = senders.flatMap((s) => s.sent.filter((m) => m.id !== undefined));
  for (const c of observers) {
    const last = senders.filter((s) => s.name !== 'muted').map((s) => s.sent.filter((m) => m.id !== undefined).at(-1)!.text);
    await until(c, (s) => last.every((t) => (s.session?.messages ?? []).some((m) => m.text === t)), 'the last messages', RECOVERY_BOUND_MS);
  }

  const mutedSends = senders.find((s) => s.name === 'muted')!.sent;
  const lateMuted = mutedSends.filter((m) => m.startedAt > mutedAt);
  expect(lateMuted.length).toBeGreaterThan(0); // the muted member did try
  // Nothing of the muted member's started after the acknowledgement was accepted, or shown by anyone.
  expect(lateMuted.filter((m) => m.id !== undefined).map((m) => m.text)).toEqual([]);
  const lateTexts = new Set(lateMuted.map((m) => m.text));
  for (const c of observers) expect(shown(c).filter((t) => lateTexts.has(t))).toEqual([]);
  // The removed member's socket got nothing sent after its removal.
  const afterRemoval = new Set(accepted.filter((m) => m.startedAt > removedAt).map((m) => m.id!));
  expect(afterRemoval.size).toBeGreaterThan(0);
  expect(toRemoved.filter((id) => afterRemoval.has(id))).toEqual([]);
  // Nothing lost, nothing twice: every accepted message once on every observer; no message twice anywhere.
  for (const c of observers) {
    const texts = shown(c);
    const counts = new Map<string, number>();
    for (const t of texts) counts.set(t, (counts.get(t) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    // The muted member's messages accepted before the mute are left out: an engine that reads them (a resume) after
    // it verified the mute may drop them (the client's own rule, not the relay's).
    expect(accepted.filter((m) => !m.text.startsWith('muted-') && !counts.has(m.text)).map((m) => m.text)).toEqual([]);
  }
}

/** Declares the fault tests on one kind of Redis, with the Redis, the proxies and the nodes set up for them. */
export function describeFaults(kind: RedisKind): void {
  onRedis(kind, (redis) => {
    const rig: Rig = { paths: [], nodes: [], open: [] };

    beforeAll(async () => {
      rig.redis = redis();
      const cluster = (rig.cluster = await startCluster(0, { realClock: true, redis: redis().target }));
      for (let i = 0; i < 3; i++) {
        const path = await ProxiedRedis.start(redis());
        rig.paths.push(path);
        rig.nodes.push(await cluster.spawnNode(path.spawnOptions));
      }
    }, 120_000);

    afterAll(async () => {
      closeAll(rig.open);
      await rig.cluster?.close();
      await Promise.all(rig.paths.map((p) => p.close()));
    });

    faultTests(rig, (title, timeoutMs, body) => it(title, body, timeoutMs));
  });
}

/** Cuts every connection of node `n` to every Redis master for `ms`, once it has connections through each of them. */
function cutRedisOf(rig: Rig, n: number, ms: number): void {
  // Through each master's proxy: otherwise the node reaches some master directly and a cut would miss it.
  expect(rig.paths[n]!.connections).not.toContain(0);
  rig.paths[n]!.cut(ms);
}

type DeclareTest = (title: string, timeoutMs: number, body: () => Promise<void>) => void;

function faultTests(rig: Rig, declare: DeclareTest): void {
  describe('three relay node processes under faults, with moderation during the fault', () => {
    declare('a 0.5 s cut of one node’s Redis', 180_000, async () => {
      await scenario(rig, 1, async (during) => {
        cutRedisOf(rig, 1, 500);
        await during();
        await sleep(600);
      });
    });

    declare('a 15 s cut of one node’s Redis', 240_000, async () => {
      await scenario(rig, 1, async (during) => {
        cutRedisOf(rig, 1, 15_000);
        await sleep(200);
        await during();
        await sleep(15_000);
      });
    });

    declare('a pause (SIGSTOP) of a node longer than the others wait for it, then SIGCONT', 180_000, async () => {
      await scenario(rig, 2, async (during) => {
        rig.nodes[2]!.process.kill('SIGSTOP');
        try {
          await sleep(300);
          await during();
          await sleep(2_000);
        } finally {
          rig.nodes[2]!.process.kill('SIGCONT');
        }
      });
    });

    declare('a node killed and restarted on its port', 180_000, async () => {
      await scenario(rig, 1, async (during) => {
        const { port } = rig.nodes[1]!;
        await rig.nodes[1]!.crash();
        await during();
        rig.nodes[1] = await rig.cluster!.spawnNode({ ...rig.paths[1]!.spawnOptions, port });
      });
    });
  });
}
