/**
 * Relay benchmark: `pnpm bench:relay [--quick] [--only baseline] [--nodes 2] [--searches N] [--json FILE]`. Runs the relay and a
 * bare Socket.IO baseline as child processes (pinned to one core, the generator to another, when taskset exists),
 * drives both with an open-loop load of byte-identical envelopes from raw websocket clients, and prints one table
 * per room size with relay/baseline ratios. With `--nodes 2` the relay also runs as two node processes over the
 * machine's PostgreSQL and Redis (a schema and key prefix of the run's own, removed at the end), each room's members
 * alternating between the nodes, and every figure of the pair is given with its ratio to the one-node relay and to
 * the baseline of the same run. Method and figures: docs/BENCHMARKS.md.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EAGER_REKEY_MAX_PRESENT, initCrypto } from '@kindred/shared/crypto';
import { planRooms, MAX_ROOM_SIZE } from './roomPlan';
import { cpuMicrosPerMessage, median, medianSearch, scenarioTable, stepLine, worstCeilingRatio, type ScenarioFigures, type TargetFigures } from './report';
import { closeRooms, connectRooms, fixedRate, searchCeilings, settle, sleep, type ConnectedRooms, type SearchOptions, type SearchResult } from './scenarios';
import { runStep, type StepResult } from './loadStep';
import { measureRekey, type RekeyResult } from './rekeyScenario';
import { pinGenerator, unpinned, ServerGroup, ServerProcess } from './serverProcess';
import { prepareClusterRun, type ClusterRun } from './benchCluster';
import { defaultConfig } from '../src/config';
import { BaselineTarget, RelayTarget, type Target } from './targets';

interface Profile {
  /** Requested room sizes and the connection budget each scenario fills with rooms of that size. */
  scenarios: { size: number; connections: number }[];
  search: Omit<SearchOptions, 'startPerSec'>;
  /** Where each ceiling search starts, per room size. */
  startPerSec: (size: number) => number;
  reps: number;
  /** Whole ceiling searches per scenario (`--searches N`): the table gives the median, the ratio the median of pairs. */
  searches: number;
  joinConcurrency: number;
  /** Session sizes of the rekey-after-removal measurement (relay only). */
  rekeySizes: number[];
  /** Longest wait for one rekey to complete. */
  rekeyDeadlineMs: number;
  /** Pause between scenarios (sockets of the last one close). */
  pauseMs: number;
  /** Watchdog: the whole run stops by itself after this long. */
  maxRunMs: number;
}

const P99_LIMIT_MS = 50;
const FIXED_RATE_PER_SEC = 20_000;
/** `--cpu N`: per target, with every target loaded at once; well below their ceilings, so that no backlog inflates CPU per message. */
const CPU_RATE_PER_SEC = 6_000;
/** `--cpu N` steps are this many times the profile's measured window: a major GC more or less weighs less on each. */
const CPU_STEP_LENGTH = 3;
/** A step whose generator sent more than this late (p99) was limited by the generator, not only the server. */
const GENERATOR_LAG_MS = 10;

const FULL: Profile = {
  scenarios: [
    { size: 10, connections: 1000 },
    { size: 100, connections: 1000 },
    { size: 1000, connections: 1000 },
  ],
  search: {
    maxPerSec: 1_000_000,
    maxSteps: 10,
    resolution: 0.08,
    settleMaxMs: 8_000,
    step: { warmupMs: 1_000, measureMs: 5_000, drainMs: 3_000, p99LimitMs: P99_LIMIT_MS },
  },
  startPerSec: () => 10_000,
  reps: 3,
  searches: 1,
  joinConcurrency: 32,
  rekeySizes: [100, 1000],
  rekeyDeadlineMs: 60_000,
  pauseMs: 1_000,
  maxRunMs: 40 * 60_000,
};

const QUICK: Profile = {
  scenarios: [
    { size: 10, connections: 100 },
    { size: 100, connections: 100 },
  ],
  search: {
    maxPerSec: 400_000,
    maxSteps: 3,
    resolution: 0.25,
    settleMaxMs: 1_500,
    step: { warmupMs: 300, measureMs: 800, drainMs: 800, p99LimitMs: P99_LIMIT_MS },
  },
  startPerSec: () => 20_000,
  reps: 1,
  searches: 1,
  joinConcurrency: 32,
  rekeySizes: [100],
  rekeyDeadlineMs: 20_000,
  pauseMs: 1_000,
  maxRunMs: 4 * 60_000,
};

/**
 * `--quick --nodes 2`: three targets instead of two, so shorter windows (0.2 s warm-up, 0.6 s measured, still
 * hundreds of messages per step) and pauses keep it at about a minute. Every target of the run gets the same.
 */
const QUICK_NODES2: Profile = {
  ...QUICK,
  search: { ...QUICK.search, settleMaxMs: 1_000, step: { ...QUICK.search.step, warmupMs: 200, measureMs: 600, drainMs: 600 } },
  pauseMs: 500,
};

interface Args {
  quick: boolean;
  only: 'baseline' | 'relay' | undefined;
  json: string | undefined;
  nodes: number;
  /** Skip the load scenarios (rekey only, when working on the rekey measurement). */
  skipLoad: boolean;
  /** Leave scheduling to the OS (on a machine busy with other work, pinning can add queueing delay). */
  noPin: boolean;
  /** Only these room sizes (scenarios and rekey sessions), e.g. `--rooms 10` to study one scenario. */
  rooms: number[] | undefined;
  /** Connections per scenario instead of the profile's (e.g. a quick run at the full run's 1,000). */
  connections: number | undefined;
  /** Ceiling searches per scenario instead of one (a noisy machine: one stall can decide a step). */
  searches: number | undefined;
  /**
   * `--cpu N` (A/B work on the per-message cost): only N steps with every target loaded at once at CPU_RATE_PER_SEC,
   * a rate every target sustains, and the servers' CPU time per message (medians and their ratio); no search, no table.
   */
  cpuReps: number | undefined;
}

function positiveInts(flag: string, value: string | undefined): number[] {
  const out = (value ?? '').split(',').map(Number);
  if (out.length === 0 || out.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${flag} takes positive whole numbers separated by commas, not ${value ?? 'nothing'}`);
  return out;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: undefined, json: undefined, nodes: 1, skipLoad: false, noPin: false, rooms: undefined, connections: undefined, searches: undefined, cpuReps: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--only' && (argv[i + 1] === 'baseline' || argv[i + 1] === 'relay')) args.only = argv[++i] as 'baseline' | 'relay';
    else if (a === '--json' && argv[i + 1]) args.json = argv[++i];
    else if (a === '--nodes' && (argv[i + 1] === '1' || argv[i + 1] === '2')) args.nodes = Number(argv[++i]);
    else if (a === '--nodes') throw new Error(`--nodes takes 1 or 2 (relay nodes), not ${argv[i + 1] ?? 'nothing'}`);
    else if (a === '--skip-load') args.skipLoad = true;
    else if (a === '--no-pin') args.noPin = true;
    else if (a === '--rooms') args.rooms = positiveInts(a, argv[++i]);
    else if (a === '--connections') args.connections = positiveInts(a, argv[++i])[0];
    else if (a === '--searches') {
      const n = positiveInts(a, argv[++i])[0]!;
      if (n > 9) throw new Error(`--searches takes 1 to 9, not ${n}`);
      args.searches = n;
    }
    else if (a === '--cpu') args.cpuReps = positiveInts(a, argv[++i])[0];
    else if (a === '--') continue;
    else throw new Error(`unknown argument ${a}; usage: relayBench [--quick] [--only baseline|relay] [--skip-load] [--no-pin] [--rooms 10,100,1000] [--connections N] [--searches N] [--cpu N] [--json FILE] [--nodes 1|2]`);
  }
  return args;
}

const RELAY_APP = fileURLToPath(new URL('../src/app.ts', import.meta.url));

/** The same fixed-rate step on every target in turn, `reps` times, so that background load falls on all alike. */
async function alternating(cs: ConnectedRooms[], perSec: number, profile: Profile, log: (s: string) => void): Promise<Map<string, StepResult[]>> {
  const out = new Map<string, StepResult[]>(cs.map((c) => [c.target.name, []]));
  for (let i = 0; i < profile.reps; i++) {
    for (const c of cs) {
      const [st] = await fixedRate(c, perSec, 1, profile.search);
      out.get(c.target.name)!.push(st!);
      log(stepLine(c.target.name, st!));
    }
  }
  return out;
}

/**
 * `--cpu N`: the servers' CPU time per relayed message, N steps in which every target is loaded **at the same time**
 * (each at CPU_RATE_PER_SEC, a rate all sustain), so that whatever else the machine does in that moment falls on
 * all of them alike; the pair ratios are then far steadier than those of steps taken one after the other.
 */
async function measureCpu(cs: ConnectedRooms[], reps: number, profile: Profile, log: (s: string) => void): Promise<void> {
  const perMessage = new Map<string, number[]>(cs.map((c) => [c.target.name, []]));
  const step = { ...profile.search.step, measureMs: profile.search.step.measureMs * CPU_STEP_LENGTH, deliveriesPerSec: CPU_RATE_PER_SEC };
  for (let i = 0; i < reps; i++) {
    for (const c of cs) await settle(c, 20, profile.search.settleMaxMs);
    const steps = await Promise.all(cs.map((c) => runStep(c.rooms, c.target.server, { ...step, fanout: c.fanout })));
    steps.forEach((st, k) => {
      const us = cpuMicrosPerMessage(st);
      perMessage.get(cs[k]!.target.name)!.push(us);
      log(`${stepLine(cs[k]!.target.name, st)} (${us.toFixed(0)} us/message)`);
    });
  }
  const base = perMessage.get('baseline');
  for (const [name, us] of perMessage) {
    const pairs = base && name !== 'baseline' ? us.map((u, i) => u / base[i]!) : undefined;
    const vs = pairs ? `; relay/baseline median of pairs ${median(pairs).toFixed(2)}x (${pairs.map((p) => p.toFixed(2)).join(' / ')})` : '';
    log(`  ${name} CPU per message at ${fmt(CPU_RATE_PER_SEC)} deliveries/s, targets loaded together: median ${median(us).toFixed(1)} us (${us.map((u) => u.toFixed(0)).join(' / ')})${vs}`);
  }
}

/** Every measurement of one room size on the connected targets. */
async function measureScenario(connected: ConnectedRooms[], profile: Profile, log: (s: string) => void): Promise<{ figures: Map<string, TargetFigures>; halfRate: number }> {
  for (const c of connected) {
    log(`  ${c.target.name}: ${fmt(c.joinsPerSec)} joins/s, ${(c.rssPerConn / 1024).toFixed(1)} KB RSS and ${(c.heapPerConn / 1024).toFixed(1)} KB heap per connection, fan-out ${c.fanout}`);
  }
  const fixed = await alternating(connected, FIXED_RATE_PER_SEC, profile, log);
  const size = connected[0]!.rooms[0]!.members.length;
  // `--searches N`: N whole searches one after the other, every target in lockstep within each.
  const runs: SearchResult[][] = connected.map(() => []);
  for (let k = 0; k < profile.searches; k++) {
    if (profile.searches > 1) log(`  ceiling search ${k + 1} of ${profile.searches}`);
    const found = await searchCeilings(connected, { ...profile.search, startPerSec: profile.startPerSec(size) }, (c, st) => log(stepLine(c.target.name, st)));
    found.forEach((f, i) => runs[i]!.push(f));
  }
  const ceilings = runs.map(medianSearch);
  const retained = new Map<string, number>();
  for (const [i, c] of connected.entries()) {
    const ceiling = ceilings[i]!;
    const each = profile.searches > 1 ? ` (median of ${runs[i]!.map((r) => fmt(r.ceilingPerSec)).join(', ')})` : '';
    log(`  ${c.target.name} ceiling: ${fmt(ceiling.ceilingPerSec)} deliveries/s${each}${ceiling.capped ? ' (search cap reached)' : ''}`);
    const loaded = await c.target.server.stats(true);
    // Heap and external memory (Buffers) together: what the relay keeps of relayed data, wherever it keeps it.
    const kept = loaded.heapUsed + loaded.external - c.idleHeapUsed;
    retained.set(c.target.name, kept);
    const recovery = loaded.recoveryPackets === undefined ? '' : `; connection-state recovery holds ${fmt(loaded.recoveryPackets)} packets`;
    log(`  ${c.target.name} memory retained after the load (heap + external, after GC): ${(kept / 2 ** 20).toFixed(1)} MB${recovery}`);
  }
  // p99 at half the baseline's ceiling (or of the only target's), on every target.
  const base = connected.findIndex((c) => c.target.name === 'baseline');
  const halfRate = Math.max(1_000, Math.round(ceilings[Math.max(0, base)]!.ceilingPerSec / 2));
  const half = await alternating(connected, halfRate, profile, log);
  const figures = new Map<string, TargetFigures>();
  for (const [i, c] of connected.entries()) {
    figures.set(c.target.name, {
      joinsPerSec: c.joinsPerSec,
      rssPerConn: c.rssPerConn,
      heapPerConn: c.heapPerConn,
      fanout: c.fanout,
      fixed: fixed.get(c.target.name)!,
      searches: runs[i]!,
      half: half.get(c.target.name)!,
      heapRetainedAfterLoad: retained.get(c.target.name)!,
    });
  }
  return { figures, halfRate };
}

/** The profile restricted to `--rooms` sizes (a full run's sizes too under --quick), `--connections` and `--searches`. */
function narrowed(base: Profile, args: Args): Profile {
  // More searches take longer: the watchdog grows with them, below the server children's 45-minute lifetime.
  const profile = args.searches ? { ...base, searches: args.searches, maxRunMs: Math.min(44 * 60_000, base.maxRunMs * args.searches) } : base;
  const wanted = args.rooms;
  if (!wanted) return args.connections ? { ...profile, scenarios: profile.scenarios.map((s) => ({ ...s, connections: args.connections! })) } : profile;
  const known = [...new Set([...FULL.scenarios.map((s) => s.size), ...profile.scenarios.map((s) => s.size)])];
  const unknown = wanted.filter((n) => !known.includes(n));
  if (unknown.length > 0) throw new Error(`--rooms: no scenario with rooms of ${unknown.join(', ')} (there are ${known.join(', ')})`);
  const connections = (size: number): number => args.connections ?? profile.scenarios.find((s) => s.size === size)?.connections ?? Math.max(size, profile.scenarios[0]!.connections);
  return {
    ...profile,
    scenarios: wanted.map((size) => ({ size, connections: connections(size) })),
    rekeySizes: [...FULL.rekeySizes, ...profile.rekeySizes].filter((n, i, all) => wanted.includes(n) && all.indexOf(n) === i),
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const wantRelay = args.only !== 'baseline';
  const relayReady = existsSync(RELAY_APP);
  const wantNodes2 = args.nodes === 2 && wantRelay && relayReady;
  // A full run with two nodes measures three targets: a longer watchdog, still under the children's 45-min lifetime.
  const profile = narrowed(args.quick ? (wantNodes2 ? QUICK_NODES2 : QUICK) : wantNodes2 ? { ...FULL, maxRunMs: 44 * 60_000 } : FULL, args);
  const log = (s: string): void => console.log(s);
  const started = performance.now();
  await initCrypto();

  const pinning = args.noPin ? unpinned('--no-pin: not pinned') : pinGenerator(wantNodes2 ? 2 : 1);
  log(`relay benchmark (${args.quick ? 'quick' : 'full'}${wantNodes2 ? ', 1 and 2 relay nodes' : ''}): ${pinning.note}; node ${process.version}`);
  if (wantNodes2) log('PostgreSQL and Redis: the machine\'s services, not pinned (they run wherever the OS puts them)');
  if (wantRelay && !relayReady) log('relay: server/src/app.ts does not exist yet: relay figures pending, baseline only');

  const servers: ServerProcess[] = [];
  let cluster: ClusterRun | undefined;
  // Stops every child, then removes the run's schema and keys (the nodes must be gone first, or they write again).
  let stopping: Promise<void> | undefined;
  const shutdown = (stopMs?: number): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(servers.map((s) => s.stop(stopMs)));
      if (!cluster) return;
      try {
        const { keys } = await cluster.cleanup();
        log(`cluster clean-up: schema ${cluster.schema} dropped, ${keys} Redis keys under ${cluster.prefix} deleted`);
      } catch (e) {
        console.error(`cluster clean-up FAILED (schema ${cluster.schema}, key prefix ${cluster.prefix}; the next --nodes 2 run sweeps them): ${(e as Error).message}`);
        process.exitCode = 1;
      }
    })();
    return stopping;
  };
  const abort = (why: string, code: number): void => {
    console.error(`relay benchmark: ${why}, stopping`);
    setTimeout(() => process.exit(code), 20_000).unref(); // the clean-up is bounded, and so is this
    void shutdown(1_000).finally(() => process.exit(code));
  };
  const watchdog = setTimeout(() => abort(`watchdog after ${profile.maxRunMs / 60_000} min`, 2), profile.maxRunMs);
  watchdog.unref();
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));

  const results: ScenarioFigures[] = [];
  const rekeys: (RekeyResult & { requested: number; target: string })[] = [];
  try {
    // The children start side by side (each is a tsx start-up of a second or two); each joins `servers` as soon
    // as it runs, so that a failure of another still stops it.
    const running = async (p: Promise<ServerProcess>): Promise<ServerProcess> => {
      const s = await p;
      servers.push(s);
      return s;
    };
    const startNodes = async (): Promise<ServerProcess[]> => {
      cluster = await prepareClusterRun();
      const swept = cluster.swept.schemas + cluster.swept.keys > 0 ? ` (swept from dead runs: ${cluster.swept.schemas} schemas, ${cluster.swept.keys} keys)` : '';
      log(`relay-2n: schema ${cluster.schema}, Redis key prefix ${cluster.prefix}${swept}`);
      // One after the other: the first creates the schema and migrates, the second finds it done.
      const nodes: ServerProcess[] = [];
      for (let i = 0; i < 2; i++) {
        nodes.push(await running(ServerProcess.start('./relayServer.ts', pinning, cluster.nodeEnv, 60_000, pinning.nodeCpus[i] ?? pinning.serverCpus)));
        log(`relay-2n node ${i + 1}: ${nodes[i]!.detail}`);
      }
      return nodes;
    };
    // allSettled, not all: a failed start must not leave another still starting after the clean-up.
    const starts = await Promise.allSettled([
      running(ServerProcess.start('./baselineServer.ts', pinning)),
      wantRelay && relayReady ? running(ServerProcess.start('./relayServer.ts', pinning)) : undefined,
      wantNodes2 ? startNodes() : undefined,
    ] as const);
    const value = <T>(r: PromiseSettledResult<T>): T => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    };
    const [baselineProcess, relayProcess, nodeProcesses] = [value(starts[0]), value(starts[1]), value(starts[2])];
    const baseline = new BaselineTarget(baselineProcess);
    const relay = relayProcess ? new RelayTarget('relay', relayProcess, [relayProcess.url]) : undefined;
    if (relayProcess) log(`relay: ${relayProcess.detail}`);
    const nodes2 = nodeProcesses ? new RelayTarget('relay-2n', new ServerGroup(nodeProcesses), nodeProcesses.map((n) => n.url)) : undefined;
    if (nodes2) log('relay-2n: each room\'s members alternate between the two nodes (member k on node k mod 2)');
    const relays = [relay, nodes2].filter((t): t is RelayTarget => t !== undefined);
    const targets: Target[] = args.only === 'relay' && relays.length > 0 ? relays : [baseline, ...relays];

    for (const sc of args.skipLoad ? [] : profile.scenarios) {
      const size = Math.min(sc.size, MAX_ROOM_SIZE);
      const rooms = Math.max(1, Math.round(sc.connections / size));
      const label = size === sc.size ? String(size) : `${sc.size} (capped to ${size}: MAX_ROSTER_MEMBERS)`;
      log(`\nrooms of ${label}: planning ${rooms} x ${size} members...`);
      const plans = planRooms(rooms, size);
      const connected: ConnectedRooms[] = [];
      try {
        for (const t of targets) connected.push(await connectRooms(t, plans, profile.joinConcurrency));
        if (args.cpuReps) {
          await measureCpu(connected, args.cpuReps, profile, log);
          continue;
        }
        const { figures, halfRate } = await measureScenario(connected, profile, log);
        const b = figures.get('baseline');
        if (b) {
          results.push({ label, size, rooms, fixedRatePerSec: FIXED_RATE_PER_SEC, halfRatePerSec: halfRate, baseline: b, relay: figures.get('relay'), nodes2: figures.get('relay-2n') });
          log(`\n${scenarioTable(results.at(-1)!, GENERATOR_LAG_MS)}`);
        }
      } finally {
        for (const c of connected) closeRooms(c);
        await sleep(profile.pauseMs);
      }
    }

    const maxPayloadBytes = defaultConfig().maxPayloadBytes;
    for (const requested of profile.rekeySizes) {
      for (const target of relays) {
        const size = Math.min(requested, MAX_ROOM_SIZE);
        log(`\nrekey after a removal (${target.name}): session of ${size}${size === requested ? '' : ` (${requested} requested, capped: MAX_ROSTER_MEMBERS)`}...`);
        const r = await measureRekey(target, planRooms(1, size)[0]!, maxPayloadBytes, profile.rekeyDeadlineMs);
        rekeys.push({ ...r, requested, target: target.name });
        log(`  relay fan-out of ${fmt((r.members - 1) * r.keysPerMember)} sealed keys (${r.sealedKeyBytes} B each, ${r.keysPerRequest} per request): ${r.relayMs.toFixed(0)} ms${r.complete ? '' : ' (INCOMPLETE at the deadline)'}`);
        log(`  per device: seal to ${r.keysPerMember} members ${r.sealMs.toFixed(0)} ms, open ${r.keysPerMember} keys ${r.openMs.toFixed(0)} ms; estimate ${r.estimateMs.toFixed(0)} ms`);
        log(`  one sender alone (lazy rekey before its next message): ${r.oneSenderMs.toFixed(0)} ms relay + ${r.sealMs.toFixed(0)} ms seal + open of one key`);
        log(`  lazy (the engine above ${EAGER_REKEY_MAX_PRESENT} present members), a second removal, ${r.lazy.members} left: every device has dropped its old chain after ${r.lazy.notifiedMs.toFixed(0)} ms; ${r.lazy.speakers} members speak at once: everyone holds their keys and has their messages after ${r.lazy.relayMs.toFixed(0)} ms${r.lazy.complete ? '' : ' (INCOMPLETE at the deadline)'}; estimate with one device's seal and ${r.lazy.speakers} opens ${r.lazy.estimateMs.toFixed(0)} ms`);
        await sleep(profile.pauseMs);
      }
    }
  } finally {
    await shutdown();
    clearTimeout(watchdog);
  }

  log('\nsummary');
  if (rekeys.length === 0) log('- rekey after a removal: not measured (relay not running)');
  for (const r of rekeys) {
    const label = r.members === r.requested ? `${r.members}` : `${r.requested} (capped to ${r.members})`;
    const one = r.target === 'relay-2n' ? rekeys.find((x) => x.target === 'relay' && x.requested === r.requested) : undefined;
    const vsOne = one ? ` (${(r.relayMs / one.relayMs).toFixed(2)}x one node's)` : '';
    log(`- rekey after a removal (${r.target}), session of ${label}: every member at once (eager, as sessions of up to ${EAGER_REKEY_MAX_PRESENT} present do) ${r.estimateMs.toFixed(0)} ms estimated (relay ${r.relayMs.toFixed(0)} ms${vsOne} + device seal ${r.sealMs.toFixed(0)} ms + open ${r.openMs.toFixed(0)} ms)${r.complete ? '' : ' INCOMPLETE'}; lazy (larger sessions): old chains dropped everywhere in ${r.lazy.notifiedMs.toFixed(0)} ms, ${r.lazy.speakers} speakers' keys and messages with everyone in ${r.lazy.estimateMs.toFixed(0)} ms estimated${r.lazy.complete ? '' : ' INCOMPLETE'}; target < 1,000 ms for 1,000 members`);
  }
  log(`- deliveries of ${'256-byte-bucket'} envelopes; p99 bound ${P99_LIMIT_MS} ms; medians of ${profile.reps} repetition(s); ${profile.searches} ceiling search(es) per scenario${profile.searches > 1 ? ' (ratios: median of the searches run side by side)' : ''}`);
  log(`- run time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ pinning, quick: args.quick, nodes: args.nodes, results, rekeys }, null, 2));
  // The worst room size: the target (>= 0.9x) must hold for every one of them. A scenario where the denominator
  // itself passed no step gives no ratio (the machine, not the relay, was the limit).
  if (args.nodes === 2) {
    const n2b = worstCeilingRatio(results, (r) => r.nodes2, (r) => r.baseline);
    if (n2b !== undefined) log(`- 2 nodes/baseline throughput ratio (worst room size): ${n2b.toFixed(2)}`);
    const n2 = worstCeilingRatio(results, (r) => r.nodes2, (r) => r.relay);
    const why = results.some((r) => r.nodes2) ? 'n/a (no one-node ceiling: no step of the one-node relay passed)' : 'pending';
    log(`2 nodes / 1 node throughput ratio: ${n2 !== undefined ? n2.toFixed(2) : why}`);
  }
  const ratio = worstCeilingRatio(results, (r) => r.relay, (r) => r.baseline);
  const noRatio = results.some((r) => r.relay) ? 'n/a (no baseline ceiling: no step of the baseline passed)' : 'pending';
  log(`relay/baseline throughput ratio: ${ratio !== undefined ? ratio.toFixed(2) : noRatio}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
