/**
 * Relay benchmark: `pnpm bench:relay [--quick] [--only baseline] [--json FILE]`. Runs the relay and a bare
 * Socket.IO baseline as child processes (pinned to one core, the generator to another, when taskset exists),
 * drives both with an open-loop load of byte-identical envelopes from raw websocket clients, and prints one table
 * per room size with relay/baseline ratios. Method and figures: docs/BENCHMARKS.md.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initCrypto } from '@kindred/shared/crypto';
import { planRooms, MAX_ROOM_SIZE } from './roomPlan';
import { scenarioTable, stepLine, type ScenarioFigures, type TargetFigures } from './report';
import { closeRooms, connectRooms, fixedRate, searchCeilings, sleep, type ConnectedRooms, type SearchOptions } from './scenarios';
import type { StepResult } from './loadStep';
import { measureRekey, type RekeyResult } from './rekeyScenario';
import { pinGenerator, unpinned, ServerProcess } from './serverProcess';
import { defaultConfig } from '../src/config';
import { BaselineTarget, RelayTarget, type Target } from './targets';

interface Profile {
  /** Requested room sizes and the connection budget each scenario fills with rooms of that size. */
  scenarios: { size: number; connections: number }[];
  search: Omit<SearchOptions, 'startPerSec'>;
  /** Where each ceiling search starts, per room size. */
  startPerSec: (size: number) => number;
  reps: number;
  joinConcurrency: number;
  /** Session sizes of the rekey-after-removal measurement (relay only). */
  rekeySizes: number[];
  /** Watchdog: the whole run stops by itself after this long. */
  maxRunMs: number;
}

const P99_LIMIT_MS = 50;
const FIXED_RATE_PER_SEC = 20_000;
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
  joinConcurrency: 32,
  rekeySizes: [100, 1000],
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
  joinConcurrency: 32,
  rekeySizes: [100],
  maxRunMs: 4 * 60_000,
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
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: undefined, json: undefined, nodes: 1, skipLoad: false, noPin: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--only' && (argv[i + 1] === 'baseline' || argv[i + 1] === 'relay')) args.only = argv[++i] as 'baseline' | 'relay';
    else if (a === '--json' && argv[i + 1]) args.json = argv[++i];
    else if (a === '--nodes' && argv[i + 1]) args.nodes = Number(argv[++i]);
    else if (a === '--skip-load') args.skipLoad = true;
    else if (a === '--no-pin') args.noPin = true;
    else if (a === '--') continue;
    else throw new Error(`unknown argument ${a}; usage: relayBench [--quick] [--only baseline|relay] [--skip-load] [--no-pin] [--json FILE] [--nodes 1]`);
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

/** Every measurement of one room size on the connected targets. */
async function measureScenario(connected: ConnectedRooms[], profile: Profile, log: (s: string) => void): Promise<{ figures: Map<string, TargetFigures>; halfRate: number }> {
  for (const c of connected) {
    log(`  ${c.target.name}: ${fmt(c.joinsPerSec)} joins/s, ${(c.rssPerConn / 1024).toFixed(1)} KB RSS and ${(c.heapPerConn / 1024).toFixed(1)} KB heap per connection, fan-out ${c.fanout}`);
  }
  const fixed = await alternating(connected, FIXED_RATE_PER_SEC, profile, log);
  const size = connected[0]!.rooms[0]!.members.length;
  const ceilings = await searchCeilings(connected, { ...profile.search, startPerSec: profile.startPerSec(size) }, (c, st) => log(stepLine(c.target.name, st)));
  const retained = new Map<string, number>();
  for (const [i, c] of connected.entries()) {
    const ceiling = ceilings[i]!;
    log(`  ${c.target.name} ceiling: ${fmt(ceiling.ceilingPerSec)} deliveries/s${ceiling.capped ? ' (search cap reached)' : ''}`);
    const loaded = await c.target.server.stats(true);
    retained.set(c.target.name, loaded.heapUsed - c.idleHeapUsed);
    const recovery = loaded.recoveryPackets === undefined ? '' : `; connection-state recovery holds ${fmt(loaded.recoveryPackets)} packets`;
    log(`  ${c.target.name} heap retained after the load (after GC): ${((loaded.heapUsed - c.idleHeapUsed) / 2 ** 20).toFixed(1)} MB${recovery}`);
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
      ceiling: ceilings[i]!,
      half: half.get(c.target.name)!,
      heapRetainedAfterLoad: retained.get(c.target.name)!,
    });
  }
  return { figures, halfRate };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.nodes !== 1) throw new Error('--nodes > 1 (relay nodes behind the Redis adapter) is not implemented yet');
  const profile = args.quick ? QUICK : FULL;
  const log = (s: string): void => console.log(s);
  const started = performance.now();
  await initCrypto();

  const pinning = args.noPin ? unpinned('--no-pin: not pinned') : pinGenerator();
  log(`relay benchmark (${args.quick ? 'quick' : 'full'}): ${pinning.note}; node ${process.version}`);
  const wantRelay = args.only !== 'baseline';
  const relayReady = existsSync(RELAY_APP);
  if (wantRelay && !relayReady) log('relay: server/src/app.ts does not exist yet: relay figures pending, baseline only');

  const servers: ServerProcess[] = [];
  const watchdog = setTimeout(() => {
    console.error(`relay benchmark: watchdog after ${profile.maxRunMs / 60_000} min, stopping`);
    for (const s of servers) void s.stop(1_000);
    setTimeout(() => process.exit(2), 2_000).unref();
  }, profile.maxRunMs);
  watchdog.unref();

  const results: ScenarioFigures[] = [];
  const rekeys: (RekeyResult & { requested: number })[] = [];
  try {
    const baseline = new BaselineTarget(await ServerProcess.start('./baselineServer.ts', pinning));
    servers.push(baseline.server);
    let relay: RelayTarget | undefined;
    if (wantRelay && relayReady) {
      relay = new RelayTarget(await ServerProcess.start('./relayServer.ts', pinning));
      servers.push(relay.server);
      log(`relay: ${relay.server.detail}`);
    }
    const targets: Target[] = args.only === 'relay' && relay ? [relay] : relay ? [baseline, relay] : [baseline];

    for (const sc of args.skipLoad ? [] : profile.scenarios) {
      const size = Math.min(sc.size, MAX_ROOM_SIZE);
      const rooms = Math.max(1, Math.round(sc.connections / size));
      const label = size === sc.size ? String(size) : `${sc.size} (capped to ${size}: MAX_ROSTER_MEMBERS)`;
      log(`\nrooms of ${label}: planning ${rooms} x ${size} members...`);
      const plans = planRooms(rooms, size);
      const connected: ConnectedRooms[] = [];
      try {
        for (const t of targets) connected.push(await connectRooms(t, plans, profile.joinConcurrency));
        const { figures, halfRate } = await measureScenario(connected, profile, log);
        const b = figures.get('baseline');
        if (b) {
          results.push({ label, size, rooms, fixedRatePerSec: FIXED_RATE_PER_SEC, halfRatePerSec: halfRate, baseline: b, relay: figures.get('relay') });
          log(`\n${scenarioTable(results.at(-1)!, GENERATOR_LAG_MS)}`);
        }
      } finally {
        for (const c of connected) closeRooms(c);
        await sleep(1_000);
      }
    }

    if (relay && args.only !== 'baseline') {
      const maxPayloadBytes = defaultConfig().maxPayloadBytes;
      for (const requested of profile.rekeySizes) {
        const size = Math.min(requested, MAX_ROOM_SIZE);
        log(`\nrekey after a removal: session of ${size}${size === requested ? '' : ` (${requested} requested, capped: MAX_ROSTER_MEMBERS)`}...`);
        const r = await measureRekey(relay, planRooms(1, size)[0]!, maxPayloadBytes, 60_000);
        rekeys.push({ ...r, requested });
        log(`  relay fan-out of ${fmt((r.members - 1) * r.keysPerMember)} sealed keys (${r.sealedKeyBytes} B each, ${r.keysPerRequest} per request): ${r.relayMs.toFixed(0)} ms${r.complete ? '' : ' (INCOMPLETE at the deadline)'}`);
        log(`  per device: seal to ${r.keysPerMember} members ${r.sealMs.toFixed(0)} ms, open ${r.keysPerMember} keys ${r.openMs.toFixed(0)} ms; estimate ${r.estimateMs.toFixed(0)} ms`);
        log(`  one sender alone (lazy rekey before its next message): ${r.oneSenderMs.toFixed(0)} ms relay + ${r.sealMs.toFixed(0)} ms seal + open of one key`);
        log(`  engine chunk probe: ${r.engineChunkProbe}`);
        await sleep(1_000);
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    clearTimeout(watchdog);
  }

  log('\nsummary');
  if (rekeys.length === 0) log('- rekey after a removal: not measured (relay not running)');
  for (const r of rekeys) {
    const label = r.members === r.requested ? `${r.members}` : `${r.requested} (capped to ${r.members})`;
    log(`- rekey after a removal, session of ${label}: ${r.estimateMs.toFixed(0)} ms estimated (relay ${r.relayMs.toFixed(0)} ms + device seal ${r.sealMs.toFixed(0)} ms + open ${r.openMs.toFixed(0)} ms)${r.complete ? '' : ' INCOMPLETE'}; one sender alone ${r.oneSenderMs.toFixed(0)} ms relay; target < 1,000 ms for 1,000 members`);
  }
  log(`- deliveries of ${'256-byte-bucket'} envelopes; p99 bound ${P99_LIMIT_MS} ms; medians of ${profile.reps} repetition(s)`);
  log(`- run time ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (args.json) writeFileSync(args.json, JSON.stringify({ pinning, quick: args.quick, results, rekeys }, null, 2));
  // The worst room size: the target (>= 0.9x) must hold for every one of them. A scenario where the baseline
  // itself passed no step gives no ratio (the machine, not the relay, was the limit).
  const ratios = results
    .filter((r) => r.relay && r.baseline.ceiling.ceilingPerSec > 0)
    .map((r) => r.relay!.ceiling.ceilingPerSec / r.baseline.ceiling.ceilingPerSec);
  const noRatio = results.some((r) => r.relay) ? 'n/a (no baseline ceiling: no step of the baseline passed)' : 'pending';
  log(`relay/baseline throughput ratio: ${ratios.length ? Math.min(...ratios).toFixed(2) : noRatio}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
