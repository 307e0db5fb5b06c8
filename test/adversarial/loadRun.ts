/**
 * The load scenario shared by the CI load test and `pnpm soak`: several groups of engine clients on the real relay,
 * each client sending at a fixed rate, one muted member per group whose attempts must reach nobody. Counts every
 * delivery per (receiver, message id) so "exactly once, to every present non-muted member, to nobody else" is
 * checked, and samples the relay's heap to see it level off (in this process after a collection, or a relay process's
 * own figure).
 */
import type { KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, sessionWith, until, type Session } from '../support/engineClients';
import { settledHeap } from '../support/gc';

export interface LoadPlan {
  groups: number;
  membersPerGroup: number;
  durationMs: number;
  /** Messages per second per sending client. */
  ratePerClient: number;
}

export interface LoadResult {
  sent: number;
  deliveries: number;
  duplicates: string[];
  missing: string[];
  leaked: string[];
  mutedAccepted: number;
  heapMb: number[];
  elapsedMs: number;
}

/** The relay the load runs against: its address, how its heap is read, how it is shut down. */
export interface LoadTarget {
  url: string;
  /** The relay's heap in use, in bytes, at a sample point. */
  heapUsed(): Promise<number>;
  close(): Promise<void>;
}

/** The default target: a relay in this process (its heap is this process's, clients included), measured after GC. */
async function inProcessRelay(): Promise<LoadTarget> {
  const relay: RelayUnderTest = await startRelay({ storage: 'memory', record: false });
  return { url: relay.url, heapUsed: async () => (await settledHeap()).heapUsed, close: () => relay.close() };
}

export async function runLoad(plan: LoadPlan, log: (line: string) => void = () => undefined, target?: LoadTarget): Promise<LoadResult> {
  const relay = target ?? (await inProcessRelay());
  const sessions: Session[] = [];
  try {
    for (let g = 0; g < plan.groups; g++) // The shortest expiry the policy allows: clients drop plaintext after 10 s, so their heap levels off too and the
    // figure shows the relay's.
    sessions.push(await sessionWith(relay, plan.membersPerGroup, { policy: { expirySeconds: 10 } }));
    const muted = new Map<Session, KindredClient>();
    for (const s of sessions) {
      const m = s.members[s.members.length - 1]!;
      await s.facilitator.mute(m.me);
      for (const c of s.all) await until(c, (st) => st.group?.roster?.members.find((x) => x.id === m.me)?.muted === true, 'mute seen');
      muted.set(s, m);
    }
    // receiver -> text -> count
    const got = new Map<KindredClient, Map<string, number>>();
    const groupOf = new Map<string, Session>();
    for (const s of sessions) {
      for (const c of s.all) {
        const counts = new Map<string, number>();
        got.set(c, counts);
        c.on('message', (m) => {
          if (!m.own) counts.set(m.text, (counts.get(m.text) ?? 0) + 1);
        });
      }
    }
    const sentBy = new Map<string, KindredClient>();
    let mutedAccepted = 0;
    const heapMb: number[] = [];
    const start = Date.now();
    let tick = 0;
    const periodMs = 1000 / plan.ratePerClient;
    while (Date.now() - start < plan.durationMs) {
      const round = tick++;
      await Promise.all(
        sessions.flatMap((s, gi) =>
          s.all.map(async (c, ci) => {
            const text = `load-g${gi}-c${ci}-r${round}`;
            if (c === muted.get(s)) {
              await c.connection
                .request('message.send', { envelope: forgeFrom(c) })
                .then(() => void mutedAccepted++, () => undefined);
              return;
            }
            await c.send(text);
            sentBy.set(text, c);
            groupOf.set(text, s);
          }),
        ),
      );
      if (round % Math.max(1, Math.round(plan.ratePerClient * 5)) === 0) {
        heapMb.push(megabytes(await relay.heapUsed()));
        log(`t=${Math.round((Date.now() - start) / 1000)}s sent=${sentBy.size} heap=${heapMb[heapMb.length - 1]} MB`);
      }
      const next = start + (round + 1) * periodMs;
      const wait = next - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    // Let every delivery land: each receiver must show every message of its group's other senders.
    const duplicates: string[] = [];
    const missing: string[] = [];
    const leaked: string[] = [];
    for (const s of sessions) {
      for (const c of s.all) {
        const expected = [...sentBy].filter(([t, from]) => groupOf.get(t) === s && from !== c).map(([t]) => t);
        const counts = got.get(c)!;
        await until(c, () => expected.every((t) => counts.has(t)), 'all delivered', 30_000).catch(() => undefined);
        for (const t of expected) if (!counts.has(t)) missing.push(`${t} -> ${c.me.slice(0, 6)}`);
        for (const [t, n] of counts) {
          if (n > 1) duplicates.push(`${t} x${n}`);
          if (groupOf.get(t) !== s) leaked.push(`${t} -> another group`);
        }
      }
    }
    const deliveries = [...got.values()].reduce((a, m) => a + [...m.values()].reduce((x, y) => x + y, 0), 0);
    heapMb.push(megabytes(await relay.heapUsed()));
    return { sent: sentBy.size, deliveries, duplicates, missing, leaked, mutedAccepted, heapMb, elapsedMs: Date.now() - start };
  } finally {
    for (const s of sessions) closeAll(s.all);
    await relay.close();
  }
}

function megabytes(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

/** A syntactically valid envelope from `c` (the relay must refuse it: `c` is muted). */
function forgeFrom(c: KindredClient): never {
  const session = c.getState().session!;
  const group = c.getState().group!;
  const b = (n: number): string => Buffer.alloc(n, 7).toString('base64url');
  return {
    header: { v: 2, groupId: session.groupId, sessionId: session.sessionId, epoch: group.roster!.epoch, rosterHash: group.roster!.head, headEpoch: group.roster!.epoch, headHash: group.roster!.head, sender: c.me, keyId: b(16), counter: 0, type: 'chat', ttl: 60 },
    nonce: b(24),
    ct: b(64),
    sig: b(64),
  } as never; // the request type is the envelope; built by hand on purpose
}
