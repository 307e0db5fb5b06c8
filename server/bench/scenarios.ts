/**
 * The measurements of one room-size scenario on one target: connecting the rooms (join rate, memory per idle
 * joined connection), the fan-out probe, and the search for the highest delivery rate whose p99 stays within
 * the bound. Every loop is bounded by a count and a deadline.
 */
import { allocateSeqs, runStep, type BenchRoom, type StepOptions, type StepResult } from './loadStep';
import { readStamp } from './benchPayload';
import { RawSocketIo } from './rawSocketIo';
import type { RoomPlan } from './roomPlan';
import type { Target } from './targets';

export interface ConnectedRooms {
  target: Target;
  rooms: BenchRoom[];
  sockets: RawSocketIo[];
  /** Members connected, authenticated and joined per second (creators excluded: they were provisioned). */
  joinsPerSec: number;
  /** Server memory growth per idle joined connection, after a full GC, in bytes. */
  rssPerConn: number;
  heapPerConn: number;
  /** Server heapUsed + external (Buffers) once every member joined, after a full GC: what the load steps are compared against. */
  idleHeapUsed: number;
  /** Recipients per message. */
  fanout: number;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `jobs` with at most `limit` in flight; rejects on the first failure. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

/** Sets up every planned room on `target` and measures the join rate and the memory of idle joined members. */
export async function connectRooms(target: Target, plans: RoomPlan[], concurrency: number): Promise<ConnectedRooms> {
  const sockets: RawSocketIo[] = [];
  try {
    const creators = await pool(plans.map((p) => () => target.provision(p)), 4);
    sockets.push(...creators);
    await sleep(200);
    const before = await target.server.stats(true);
    const jobs = plans.flatMap((p) => p.members.slice(1).map((m) => () => target.join(p, m)));
    const t0 = performance.now();
    const members = await pool(
      jobs.map((job) => async () => {
        const s = await job();
        sockets.push(s);
        return s;
      }),
      concurrency,
    );
    const joinMs = performance.now() - t0;
    // Presence pushes of the last joins are still in flight: let them land before measuring an idle server.
    await sleep(500);
    const after = await target.server.stats(true);
    let k = 0;
    const rooms: BenchRoom[] = plans.map((p, r) => ({
      members: [
        { socket: creators[r]!, template: p.members[0]!.template },
        ...p.members.slice(1).map((m) => ({ socket: members[k++]!, template: m.template })),
      ],
    }));
    const fanout = await probeFanout(rooms);
    return {
      target,
      rooms,
      sockets,
      joinsPerSec: jobs.length / (joinMs / 1000),
      rssPerConn: (after.rss - before.rss) / jobs.length,
      heapPerConn: (after.heapUsed - before.heapUsed) / jobs.length,
      idleHeapUsed: after.heapUsed + after.external,
      fanout,
    };
  } catch (err) {
    for (const s of sockets) s.close();
    throw err;
  }
}

/** One message per room: how many members receive it (the room size, or one less if the sender is excluded). */
async function probeFanout(rooms: BenchRoom[]): Promise<number> {
  const first = allocateSeqs(rooms.length);
  const counts = new Array<number>(rooms.length).fill(0);
  const onFrame = (frame: Buffer): void => {
    const stamp = readStamp(frame);
    if (stamp && stamp.seq >= first && stamp.seq < first + rooms.length) counts[stamp.seq - first]!++;
  };
  for (const r of rooms) for (const m of r.members) m.socket.onEventFrame = onFrame;
  const errors: string[] = [];
  rooms.forEach((r, i) => {
    const sender = r.members[0]!;
    sender.socket.emitJsonWithAck(sender.template.body(first + i, performance.now()), (args) => {
      const res = args[0] as { ok?: boolean; error?: { code?: string } } | undefined;
      if (res?.ok !== true) errors.push(res?.error?.code ?? 'no ack');
    });
  });
  const size = rooms[0]!.members.length;
  const deadline = performance.now() + 3_000;
  while (performance.now() < deadline && counts.some((c) => c < size - 1)) await sleep(20);
  await sleep(200); // a sender that also receives its own message gets it last or not at all
  for (const r of rooms) for (const m of r.members) m.socket.onEventFrame = () => {};
  if (errors.length > 0) throw new Error(`message.send refused in the fan-out probe: ${errors[0]}`);
  const fanout = Math.min(...counts);
  if (fanout < 1 || Math.max(...counts) !== fanout) throw new Error(`inconsistent fan-out across rooms: ${counts.join(',')}`);
  return fanout;
}

export function closeRooms(c: ConnectedRooms): void {
  for (const s of c.sockets) s.close();
}

/**
 * Waits until the previous step has drained: no frame reached the generator and the server used under `idlePct`
 * of a core over 250 ms, and the generator's timers fire on time. At most `maxMs`.
 */
export async function settle(c: ConnectedRooms, idlePct = 20, maxMs = 8_000): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    const a = await c.target.server.stats(false);
    const frames = RawSocketIo.framesReceived;
    const t = performance.now();
    await sleep(250);
    const lateMs = performance.now() - t - 250;
    const b = await c.target.server.stats(false);
    const cpuPct = ((b.cpuMicros - a.cpuMicros) / 1000 / (performance.now() - t)) * 100;
    if (cpuPct < idlePct && RawSocketIo.framesReceived === frames && lateMs < 20) return;
  }
}

export interface SearchOptions {
  startPerSec: number;
  maxPerSec: number;
  maxSteps: number;
  /** Stop refining when the gap between the best pass and the lowest failure is below this fraction. */
  resolution: number;
  /** Longest wait for the previous step to drain before the next one. */
  settleMaxMs: number;
  step: Omit<StepOptions, 'deliveriesPerSec' | 'fanout'>;
}

export interface SearchResult {
  /** Highest passing target delivery rate (0 if none passed). */
  ceilingPerSec: number;
  steps: StepResult[];
  /** The search hit maxPerSec without a failure: the ceiling is at least this. */
  capped: boolean;
}

/** Doubles the rate until a step fails, then bisects between the best pass and the lowest failure. */
class CeilingSearch {
  best = 0;
  lowestFail = Number.POSITIVE_INFINITY;
  capped = false;
  done = false;
  readonly steps: StepResult[] = [];
  rate: number;

  constructor(private readonly opts: SearchOptions) {
    this.rate = opts.startPerSec;
  }

  record(r: StepResult): void {
    const { opts } = this;
    this.steps.push(r);
    if (r.pass) this.best = Math.max(this.best, this.rate);
    else this.lowestFail = Math.min(this.lowestFail, this.rate);
    let next: number;
    if (r.pass && this.best >= opts.maxPerSec) {
      this.capped = true;
      this.done = true;
      return;
    }
    if (this.lowestFail === Number.POSITIVE_INFINITY) next = Math.min(this.rate * 2, opts.maxPerSec);
    else if (this.best === 0) next = this.rate / 2;
    else if ((this.lowestFail - this.best) / this.lowestFail < opts.resolution) {
      this.done = true;
      return;
    } else next = (this.best + this.lowestFail) / 2;
    this.rate = Math.round(next);
    if (this.rate < opts.startPerSec / 16 || this.steps.length >= opts.maxSteps) this.done = true;
  }

  result(): SearchResult {
    return { ceilingPerSec: this.best, steps: this.steps, capped: this.capped };
  }
}

/**
 * Searches the ceiling of several targets in lockstep (one step of each in turn), so that background load on a
 * shared machine falls on all of them alike. `onStep` sees each step as it completes.
 */
export async function searchCeilings(
  cs: ConnectedRooms[],
  opts: SearchOptions,
  onStep: (c: ConnectedRooms, r: StepResult) => void = () => {},
): Promise<SearchResult[]> {
  const searches = cs.map(() => new CeilingSearch(opts));
  while (searches.some((s) => !s.done)) {
    for (let i = 0; i < cs.length; i++) {
      const search = searches[i]!;
      if (search.done) continue;
      const c = cs[i]!;
      await settle(c, 20, opts.settleMaxMs);
      const r = await runStep(c.rooms, c.target.server, { ...opts.step, deliveriesPerSec: search.rate, fanout: c.fanout });
      onStep(c, r);
      search.record(r);
    }
  }
  return searches.map((s) => s.result());
}

/** Runs the same fixed-rate step `reps` times and returns every repetition. */
export async function fixedRate(c: ConnectedRooms, deliveriesPerSec: number, reps: number, opts: Pick<SearchOptions, 'step' | 'settleMaxMs'>): Promise<StepResult[]> {
  const { step } = opts;
  const results: StepResult[] = [];
  for (let i = 0; i < reps; i++) {
    await settle(c, 20, opts.settleMaxMs);
    results.push(await runStep(c.rooms, c.target.server, { ...step, deliveriesPerSec, fanout: c.fanout }));
  }
  return results;
}
