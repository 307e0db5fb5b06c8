/**
 * One open-loop load step: messages are sent on a fixed schedule that does not wait for replies, and each
 * delivery's latency is its receive time minus the message's *scheduled* send time, so a server (or generator)
 * that falls behind is charged for the whole delay (no coordinated omission). Deliveries that never arrive are
 * recorded at the drain deadline, a lower bound of their latency.
 */
import { build, type Histogram } from 'hdr-histogram-js';
import { readStamp, type MessageTemplate } from './benchPayload';
import type { RawSocketIo } from './rawSocketIo';
import type { StatsSource } from './serverProcess';

export interface BenchMember {
  socket: RawSocketIo;
  template: MessageTemplate;
}
export interface BenchRoom {
  members: BenchMember[];
}

export interface StepOptions {
  /** Target delivery rate (messages x recipients per second). */
  deliveriesPerSec: number;
  /** Recipients per message, measured with a probe (the room size, or one less if the sender is excluded). */
  fanout: number;
  warmupMs: number;
  measureMs: number;
  /** How long to wait after the last send for the measured deliveries. */
  drainMs: number;
  /** p99 bound of a passing step. */
  p99LimitMs: number;
}

export interface StepResult {
  deliveriesPerSec: number;
  messagesPerSec: number;
  /** Deliveries of measured messages per second of the measurement window. */
  achievedDeliveriesPerSec: number;
  expected: number;
  delivered: number;
  lost: number;
  ackErrors: number;
  firstAckError?: string;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  /** p99 of (actual - scheduled) send time: a high value means the generator itself could not keep up. */
  sendLagP99Ms: number;
  /** Server CPU over the step, % of one core. */
  serverCpuPct: number;
  /** Server CPU time over the step (warm-up, window and drain), and the messages sent in it: CPU per message. */
  serverCpuMicros?: number;
  sent?: number;
  /** The server's longest event-loop delay during the step (ms): a stall of its own, or not. */
  serverLoopDelayMaxMs?: number;
  /** Share of the step's wall time the server spent in GC pauses (%). */
  serverGcPct?: number;
  pass: boolean;
}

/** Sequence numbers are global to a run so that a late delivery of an earlier step is never counted. */
let nextSeq = 1;
export function allocateSeqs(n: number): number {
  const first = nextSeq;
  nextSeq += n;
  return first;
}

const LATENCY_MAX_US = 120_000_000;
export function latencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_MAX_US, numberOfSignificantValueDigits: 3 });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function runStep(rooms: BenchRoom[], server: StatsSource, opts: StepOptions): Promise<StepResult> {
  const messagesPerSec = opts.deliveriesPerSec / opts.fanout;
  const intervalMs = 1000 / messagesPerSec;
  const warmupCount = Math.floor((opts.warmupMs / 1000) * messagesPerSec);
  const measureCount = Math.max(1, Math.floor((opts.measureMs / 1000) * messagesPerSec));
  const total = warmupCount + measureCount;
  const firstSeq = allocateSeqs(total);
  const measuredFrom = firstSeq + warmupCount;
  const measuredTo = firstSeq + total; // exclusive
  const expected = measureCount * opts.fanout;

  const latency = latencyHistogram();
  const sendLag = latencyHistogram();
  const deliveredPerMessage = new Uint16Array(measureCount);
  let delivered = 0;
  let ackErrors = 0;
  let firstAckError: string | undefined;

  const onFrame = (frame: Buffer): void => {
    const stamp = readStamp(frame);
    if (!stamp || stamp.seq < measuredFrom || stamp.seq >= measuredTo) return;
    const us = Math.max(1, Math.round((performance.now() - stamp.scheduledMs) * 1000));
    latency.recordValue(Math.min(us, LATENCY_MAX_US));
    deliveredPerMessage[stamp.seq - measuredFrom]!++;
    delivered++;
  };
  for (const room of rooms) for (const m of room.members) m.socket.onEventFrame = onFrame;

  const onAck = (args: unknown[]): void => {
    const result = args[0] as { ok?: boolean; error?: { code?: string } } | undefined;
    if (result?.ok === true) return;
    ackErrors++;
    firstAckError ??= result?.error?.code ?? 'closed or malformed ack';
  };

  // Senders in a fixed rotation: message i goes to room i mod R, from that room's next member.
  const senders: BenchMember[] = [];
  const maxMembers = Math.max(...rooms.map((r) => r.members.length));
  for (let k = 0; k < maxMembers; k++) for (const r of rooms) if (r.members[k]) senders.push(r.members[k]!);

  const cpuBefore = await server.stats(false);
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = (): void => {
      const now = performance.now();
      while (i < total) {
        const scheduled = start + i * intervalMs;
        if (scheduled > now) break;
        const sender = senders[i % senders.length]!;
        sender.socket.emitJsonWithAck(sender.template.body(firstSeq + i, scheduled), onAck);
        sendLag.recordValue(Math.max(1, Math.min(LATENCY_MAX_US, Math.round((now - scheduled) * 1000))));
        i++;
      }
      if (i >= total) resolve();
      else setTimeout(tick, Math.max(0, Math.min(50, start + i * intervalMs - performance.now() - 1)));
    };
    setTimeout(tick, 20);
  });
  const sendEnd = performance.now();
  const deadline = sendEnd + opts.drainMs;
  while (delivered < expected && performance.now() < deadline) await sleep(10);
  const cpuAfter = await server.stats(false);
  const wallMs = performance.now() - (start - 20);

  // Count what never arrived, at the drain deadline: a lower bound of its latency.
  let lost = 0;
  const now = performance.now();
  for (let k = 0; k < measureCount; k++) {
    const missing = opts.fanout - deliveredPerMessage[k]!;
    if (missing <= 0) continue;
    lost += missing;
    const scheduled = start + (warmupCount + k) * intervalMs;
    latency.recordValueWithCount(Math.min(LATENCY_MAX_US, Math.round((now - scheduled) * 1000)), missing);
  }
  for (const room of rooms) for (const m of room.members) m.socket.onEventFrame = () => {};

  const ms = (us: number): number => us / 1000;
  const p99Ms = ms(latency.getValueAtPercentile(99));
  const result: StepResult = {
    deliveriesPerSec: opts.deliveriesPerSec,
    messagesPerSec,
    achievedDeliveriesPerSec: Math.min(delivered, expected) / (opts.measureMs / 1000),
    expected,
    delivered,
    lost,
    ackErrors,
    firstAckError,
    p50Ms: ms(latency.getValueAtPercentile(50)),
    p99Ms,
    p999Ms: ms(latency.getValueAtPercentile(99.9)),
    maxMs: ms(latency.maxValue),
    sendLagP99Ms: ms(sendLag.getValueAtPercentile(99)),
    serverCpuPct: ((cpuAfter.cpuMicros - cpuBefore.cpuMicros) / 1000 / wallMs) * 100,
    serverCpuMicros: cpuAfter.cpuMicros - cpuBefore.cpuMicros,
    sent: total,
    serverLoopDelayMaxMs: cpuAfter.loopDelayMaxMs,
    serverGcPct: (cpuAfter.gcMs / wallMs) * 100,
    pass: p99Ms <= opts.p99LimitMs && lost === 0 && ackErrors === 0,
  };
  // Let late deliveries and acks of an overloaded step drain before the next one starts.
  if (!result.pass) await sleep(Math.min(3_000, opts.drainMs));
  return result;
}
