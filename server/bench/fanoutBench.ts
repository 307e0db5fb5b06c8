/**
 * Fan-out benchmark: `pnpm bench:fanout [--groups N] [--members N] [--messages N]`. Three relay nodes (buildApp, in
 * this process) over the machine's PostgreSQL and Redis (a schema and key prefix of the run's own, removed at the
 * end), each node reaching Redis through a counting TCP proxy of its own (countingProxy.ts). Groups hold live
 * sessions; every member sends chat messages of ~1 KB of ciphertext. Printed per node: the bytes Redis delivered
 * to its adapter's subscriber connection while the messages flowed, and that as a share of everything the nodes
 * published (what one node would read if it heard every room, as with the streams adapter this replaced, where
 * every node read the whole stream: a share of 1 each). Two placements of members on nodes: each group on one node
 * (rooms spread over the three nodes, as a balancer that keeps a group together would do), and each member on a
 * node picked at random (seeded). Figures only, no pass/fail beyond the target line. Method: docs/BENCHMARKS.md.
 */
import { parseArgs } from 'node:util';
import { buildApp, type KindredApp } from '../src/app';
import { defaultConfig } from '../src/config';
import { createPostgresStorage } from '../src/storage/postgresStorage';
import type { Storage } from '../src/storage/storage';
import { TestClient, TestGroup, b64 } from '../src/relay/testHarness';
import { initCrypto } from '@kindred/shared/crypto';
import { BENCH_DATABASE_URL, BENCH_REDIS_URL, prepareClusterRun } from './benchCluster';
import { CountingProxy } from './countingProxy';

const NODES = 3;
/** The target: each node reads at most this share of the cluster's fan-out traffic. */
const TARGET_SHARE = 1.25 / NODES;
/** Ciphertext bytes per message before base64url: a typical chat message with its padding. */
const CIPHERTEXT_BYTES = 768;

interface Node {
  app: KindredApp;
  storage: Storage;
  proxy: CountingProxy;
  url: string;
}

/** Mulberry32: a small seeded generator, so that a run's random placement can be repeated. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function startNodes(schema: string, prefix: string): Promise<Node[]> {
  const redis = new URL(BENCH_REDIS_URL);
  const nodes: Node[] = [];
  for (let i = 0; i < NODES; i++) {
    const proxy = await CountingProxy.start({ host: redis.hostname, port: Number(redis.port || 6379) });
    const storage = createPostgresStorage({ connectionString: BENCH_DATABASE_URL, schema, maxConnections: 4 });
    await storage.migrate();
    const config = defaultConfig({
      port: 0,
      host: '127.0.0.1',
      // Closing the nodes one by one makes the others' last presence questions fail (logged as warnings): noise here.
      logLevel: 'error',
      databaseUrl: BENCH_DATABASE_URL,
      redisUrl: proxy.url,
      redisKeyPrefix: prefix,
      rateLimit: { perSecond: 10_000, burst: 100_000 },
    });
    const app = await buildApp(config, { storage });
    const url = await app.app.listen({ port: 0, host: '127.0.0.1' });
    nodes.push({ app, storage, proxy, url });
  }
  return nodes;
}

interface Placement {
  name: string;
  /** The node of member `m` (0 is the facilitator) of group `g`. */
  nodeOf(g: number, m: number): number;
}

interface PlacementResult {
  name: string;
  /** Bytes each node's adapter received while the groups were set up (roster notices and presence: shared channel). */
  setup: number[];
  received: number[];
  published: number;
  messages: number;
}

async function runPlacement(nodes: Node[], placement: Placement, groups: number, members: number, messages: number): Promise<PlacementResult> {
  const clients: TestClient[] = [];
  const sessions: { group: TestGroup; members: TestClient[] }[] = [];
  await settle(nodes);
  for (const n of nodes) n.proxy.reset();
  try {
    for (let g = 0; g < groups; g++) {
      const fac = await TestClient.signedIn(nodes[placement.nodeOf(g, 0)]!.url);
      clients.push(fac);
      const group = await TestGroup.create(fac);
      const inGroup = [fac];
      for (let m = 1; m < members; m++) {
        const c = await TestClient.signedIn(nodes[placement.nodeOf(g, m)]!.url);
        clients.push(c);
        await group.admit(c);
        inGroup.push(c);
      }
      await group.openSession();
      for (const c of inGroup) await c.ok('session.enter', group.enterRequest(c));
      sessions.push({ group, members: inGroup });
    }
    // Presence and roster traffic of the set-up is over: count the messages only.
    await settle(nodes);
    const setup = nodes.map((n) => n.proxy.counts().received);
    for (const n of nodes) n.proxy.reset();
    const before = new Map(clients.map((c) => [c, c.received('message').length]));
    let sent = 0;
    for (let i = 0; i < messages; i++) {
      await Promise.all(
        sessions.map(async ({ group, members: inGroup }) => {
          const sender = inGroup[i % inGroup.length]!;
          await sender.ok('message.send', { envelope: { ...group.envelope(sender, 'chat', i), ct: b64(CIPHERTEXT_BYTES) } });
        }),
      );
      sent += sessions.length;
    }
    // Every member hears every message of its group (its own included): wait for the last of them.
    for (const c of clients) {
      const want = before.get(c)! + messages;
      while (c.received('message').length < want) await new Promise((r) => setTimeout(r, 20));
    }
    await settle(nodes);
    const counts = nodes.map((n) => n.proxy.counts());
    return { name: placement.name, setup, received: counts.map((c) => c.received), published: counts.reduce((a, c) => a + c.published, 0), messages: sent };
  } finally {
    for (const c of clients) c.close();
    await new Promise((r) => setTimeout(r, 300)); // the nodes let go of the rooms (and unsubscribe)
  }
}

/** Waits until no node's counters move for 200 ms. */
async function settle(nodes: Node[]): Promise<void> {
  let last = '';
  for (;;) {
    const now = JSON.stringify(nodes.map((n) => n.proxy.counts()));
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function report(r: PlacementResult): boolean {
  const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`\n${r.name}: ${r.messages} messages, ${kb(r.published)} published by the nodes in all`);
  console.log('  node  received by its adapter  share of all published');
  let worst = 0;
  for (const [i, bytes] of r.received.entries()) {
    const share = bytes / r.published;
    worst = Math.max(worst, share);
    console.log(`  ${i}     ${kb(bytes).padStart(14)}           ${share.toFixed(3)}`);
  }
  const total = r.received.reduce((a, b) => a + b, 0);
  console.log(`  set-up before the messages (sign-in, roster, presence; not counted above): ${r.setup.map(kb).join(' / ')}`);
  console.log(`  all   ${kb(total).padStart(14)}           ${(total / r.published).toFixed(3)}  (streams adapter: every node read all: ${NODES}.000, 1.000 each)`);
  return worst <= TARGET_SHARE;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { groups: { type: 'string', default: '12' }, members: { type: 'string', default: '5' }, messages: { type: 'string', default: '40' } },
  });
  const [groups, members, messages] = [values.groups, values.members, values.messages].map(Number) as [number, number, number];
  if (![groups, members, messages].every((n) => Number.isInteger(n) && n >= 1)) throw new Error('--groups, --members and --messages take whole numbers of at least 1');
  await initCrypto();
  const run = await prepareClusterRun();
  let nodes: Node[] = [];
  try {
    nodes = await startNodes(run.schema, run.prefix);
    console.log(`fan-out over ${NODES} relay nodes: ${groups} groups of ${members} members, ${messages} messages per group of ${CIPHERTEXT_BYTES} bytes of ciphertext`);
    const byGroup = await runPlacement(nodes, { name: 'each group on one node (rooms spread over the nodes)', nodeOf: (g) => g % NODES }, groups, members, messages);
    const random = seeded(15);
    const placed = new Map<string, number>();
    const atRandom = await runPlacement(
      nodes,
      {
        name: 'each member on a node at random (seed 15)',
        nodeOf: (g, m) => placed.get(`${g}:${m}`) ?? placed.set(`${g}:${m}`, Math.floor(random() * NODES)).get(`${g}:${m}`)!,
      },
      groups,
      members,
      messages,
    );
    const met = report(byGroup);
    report(atRandom);
    console.log(`\ntarget (each group on one node): every node's share at most ${TARGET_SHARE.toFixed(3)} (1.25/${NODES}): ${met ? 'met' : 'NOT met'}`);
  } finally {
    for (const n of nodes) {
      await n.app.close();
      await n.storage.close();
      await n.proxy.close();
    }
    await run.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
