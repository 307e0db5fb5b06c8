/**
 * Bad input to the real relay: every event of the catalogue, with requests generated from its schema and broken
 * on purpose (schemaGen.ts), plus events that do not exist, events out of order, missing and extra arguments, and
 * no acknowledgement at all, from unauthenticated, stranger, member and facilitator sockets. Thousands of cases
 * per run from a fixed seed (printed; replay with KINDRED_FUZZ_SEED).
 *
 * What must hold: every request is answered within a bound with `{ ok: true, ... }` or a code from the catalogue and
 * its sentence, never INTERNAL; /healthz stays 200; a real session (engine clients) running alongside loses no
 * message; the heap after collection levels off across rounds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientEvents, type ClientEventName } from '@kindred/shared/protocol';
import { ERROR_SENTENCES, isErrorCode } from '@kindred/shared/errors';
import { Prng, fuzzSeed } from '../support/prng';
import { mutate, validFor, type ZodLike } from '../support/schemaGen';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { RawClient, RawGroup, b64, forgeEntry, type Outcome } from '../support/rawClient';
import { closeAll, sessionWith, texts, until, type Session } from '../support/engineClients';
import { mb, settledHeap } from '../support/gc';
import { canaryHits } from '../support/canary';

const SEED = fuzzSeed(0x6b696e64);
const ROUNDS = 5;
const CASES_PER_ROUND = 700;
const IN_FLIGHT = 25;
/** Answer bound per request: generous for a 2-core CI machine, far below "hung". */
const ACK_BOUND_MS = 5_000;
/** Larger than this on the wire, a packet may be cut by Socket.IO's maxHttpBufferSize (the connection closes). */
const TRANSPORT_SAFE_BYTES = 120_000;

const EVENTS = Object.keys(ClientEvents) as ClientEventName[];
const NOT_EVENTS = ['nope', 'message', 'roster.entry', 'session.closed', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'auth.challenge ', 'AUTH.CHALLENGE', '', 'x'.repeat(2000), '\ud800'];

interface Case {
  n: number;
  event: string;
  what: string;
  args: unknown[];
  noAck: boolean;
}

function wireBytes(args: unknown[]): number {
  let total = 0;
  const visit = (v: unknown): void => {
    if (Buffer.isBuffer(v)) total += v.length;
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  args.forEach(visit);
  try {
    return total + Buffer.byteLength(JSON.stringify(args) ?? '', 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Points generated ids at real groups and sessions some of the time, so cases reach past "not found". */
function withRealIds(value: unknown, rng: Prng, ids: { groupId: string; sessionId: string }[]): unknown {
  if (Array.isArray(value)) return value.map((v) => withRealIds(v, rng, ids));
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  const pick = rng.pick(ids);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'groupId' && rng.bool(0.6)) out[k] = pick.groupId;
    else if (k === 'sessionId' && rng.bool(0.6)) out[k] = pick.sessionId;
    else out[k] = withRealIds(v, rng, ids);
  }
  return out;
}

function makeCase(n: number, rng: Prng, ids: { groupId: string; sessionId: string }[]): Case {
  const known = rng.bool(0.93);
  const event = known ? rng.pick(EVENTS) : rng.pick(NOT_EVENTS);
  const schema = (known ? ClientEvents[event as ClientEventName][0] : ClientEvents['roster.get'][0]) as unknown as ZodLike;
  let request = withRealIds(validFor(schema, rng), rng, ids);
  let what = 'schema-valid';
  if (rng.bool(0.7)) {
    const m = mutate(request, rng);
    request = m.value;
    what = m.what;
  }
  const shape = rng.int(0, 19);
  const args = shape === 0 ? [] : shape === 1 ? [request, { extra: true }] : shape === 2 ? [request, request, 3] : [request];
  if (shape <= 2) what += ` with ${args.length} argument(s)`;
  return { n, event, what, args, noAck: rng.bool(0.04) };
}

function describeCase(c: Case): string {
  return `case ${c.n} (seed ${SEED}): ${JSON.stringify(c.event).slice(0, 40)} ${c.what}`;
}

/** The answer is a catalogue answer: ok, or a known code with its sentence (and at most a short detail). */
function checkAck(c: Case, out: Outcome): string | null {
  if (out.kind === 'timeout') return `${describeCase(c)}: no answer within ${ACK_BOUND_MS} ms`;
  const ack = out.ack as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (ack === null || typeof ack !== 'object') return `${describeCase(c)}: answer is not an object`;
  if (ack.ok === true) return null;
  if (ack.ok !== false || !ack.error) return `${describeCase(c)}: answer has no ok/error`;
  const { code, message } = ack.error;
  if (!isErrorCode(code)) return `${describeCase(c)}: unknown code ${String(code)}`;
  if (typeof message !== 'string' || !message.startsWith(ERROR_SENTENCES[code]) || message.length > 500 || /\n\s+at /.test(message)) {
    return `${describeCase(c)}: message is not the sentence of ${code}`;
  }
  if (code === 'INTERNAL') return `${describeCase(c)}: INTERNAL (a handler failed unexpectedly)`;
  return null;
}

describe(`fuzzing every socket event (seed ${SEED})`, () => {
  let relay: RelayUnderTest;
  let legit: Session;
  let fuzzers: RawClient[] = [];
  let fuzzGroup: RawGroup;
  const codes = new Map<string, number>();

  beforeAll(async () => {
    console.log(`[fuzzEvents] seed ${SEED} (replay: KINDRED_FUZZ_SEED=${SEED})`);
    relay = await startRelay({ storage: 'memory' });
    legit = await sessionWith(relay, [{ name: 'CANARY-fuzz-alice-1f2e' }, { name: 'CANARY-fuzz-bob-3d4c' }]);
    // Record what the real session's sockets send and get (the canary scan); the fuzzers' junk would only weigh on
    // the heap measure.
    const legitMembers = new Set(legit.all.map((c) => c.me));
    relay.tap.setRecording((member) => member !== undefined && legitMembers.has(member));
    // Fuzzing sockets: never signed in; a stranger; a facilitator of its own group in its session; a member there.
    const facilitator = await RawClient.signedIn(relay.url);
    fuzzGroup = await RawGroup.create(facilitator);
    const member = await RawClient.signedIn(relay.url);
    await fuzzGroup.append({ type: 'admit', member: member.member });
    await fuzzGroup.openSession();
    expect((await fuzzGroup.enter(facilitator)).ok).toBe(true);
    expect((await fuzzGroup.enter(member)).ok).toBe(true);
    fuzzers = [await RawClient.connect(relay.url), await RawClient.signedIn(relay.url), facilitator, member];
  });

  afterAll(async () => {
    for (const f of fuzzers) f.close();
    closeAll(legit?.all ?? []);
    await relay?.close();
  });

  it('answers every case from the catalogue, stays healthy, keeps the real session whole, and does not grow', async () => {
    const rng = new Prng(SEED);
    const ids = [
      { groupId: fuzzGroup.groupId, sessionId: fuzzGroup.sessionId },
      { groupId: legit.groupId, sessionId: legit.facilitator.getState().session!.sessionId },
      { groupId: b64(16), sessionId: b64(16) },
    ];
    const failures: string[] = [];
    const heaps: number[] = [];
    let collected = false;
    let n = 0;
    const sentByLegit: string[] = [];

    const runCase = async (c: Case): Promise<void> => {
      if (wireBytes(c.args) > TRANSPORT_SAFE_BYTES) {
        // Past the transport cap the connection itself may be closed: use a throwaway socket, which must get an
        // answer or be disconnected, never hang.
        const throwaway = await RawClient.connect(relay.url);
        const closed = new Promise<'closed'>((r) => throwaway.socket.once('disconnect', () => r('closed')));
        const out = await Promise.race([throwaway.send(c.event, c.args, ACK_BOUND_MS), closed]);
        throwaway.close();
        if (out !== 'closed') {
          const problem = out.kind === 'ack' ? checkAck(c, out) : null;
          if (problem) failures.push(problem);
          if (out.kind === 'timeout') failures.push(`${describeCase(c)}: oversized request neither answered nor closed`);
        }
        codes.set('(oversized)', (codes.get('(oversized)') ?? 0) + 1);
        return;
      }
      const client = fuzzers[c.n % fuzzers.length]!;
      if (c.noAck) {
        client.emitNoAck(c.event, ...c.args);
        codes.set('(no ack)', (codes.get('(no ack)') ?? 0) + 1);
        return;
      }
      const out = await client.send(c.event, c.args, ACK_BOUND_MS);
      const problem = checkAck(c, out);
      if (problem) failures.push(problem);
      if (out.kind === 'ack') {
        const a = out.ack as { ok: boolean; error?: { code: string } };
        const key = a.ok ? `ok:${c.event}` : a.error!.code;
        codes.set(key, (codes.get(key) ?? 0) + 1);
      }
    };

    for (let round = 0; round < ROUNDS; round++) {
      // The real session talks while the fuzz runs.
      const chat = (async () => {
        for (const [i, c] of legit.all.entries()) {
          const text = `CANARY-fuzz-legit-r${round}-c${i}`;
          await c.send(text);
          sentByLegit.push(text);
        }
      })();
      for (let i = 0; i < CASES_PER_ROUND; i += IN_FLIGHT) {
        const batch = Array.from({ length: Math.min(IN_FLIGHT, CASES_PER_ROUND - i) }, () => makeCase(n++, rng, ids));
        await Promise.all(batch.map(runCase));
      }
      await chat;
      // Every socket still answers (a no-ack or broken case did not wedge it), and the relay is healthy.
      for (const f of fuzzers) {
        const out = await f.send('auth.challenge', [{}], ACK_BOUND_MS);
        expect(out.kind, 'a fuzzing socket still gets answers').toBe('ack');
      }
      expect(await relay.health()).toBe(200);
      const heap = await settledHeap();
      collected = heap.collected;
      heaps.push(heap.heapUsed);
    }

    console.log(`[fuzzEvents] ${n} cases; answers: ${JSON.stringify(Object.fromEntries([...codes].sort()))}`);
    console.log(`[fuzzEvents] heap after each round (${collected ? 'after gc' : 'no gc'}): ${heaps.map(mb).join(', ')}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(n).toBeGreaterThanOrEqual(3000);
    // Both refusals and successes happened: the generator reaches past validation.
    expect(codes.get('BAD_REQUEST') ?? 0).toBeGreaterThan(100);
    expect(codes.get('UNKNOWN_EVENT') ?? 0).toBeGreaterThan(10);
    expect([...codes.keys()].some((k) => k.startsWith('ok:'))).toBe(true);

    // The real session lost nothing: every client shows every message of the others.
    for (const c of legit.all) {
      const expected = sentByLegit.filter((t) => !texts(c).includes(t));
      await until(c, () => sentByLegit.every((t) => texts(c).includes(t)), `legit messages (${expected.length} missing)`);
    }
    // Memory levels off: growth from the second round to the last stays bounded (a leak per case would be
    // thousands of objects per round). Without gc the bound is looser.
    const growth = heaps[heaps.length - 1]! - heaps[1]!;
    expect(growth, `heap growth ${mb(growth)}`).toBeLessThan((collected ? 15 : 60) * 1024 * 1024);
  });

  it('events out of order: nothing before sign-in, nothing before joining, no admit before the group exists', async () => {
    const fresh = await RawClient.connect(relay.url);
    try {
      for (const event of EVENTS.filter((e) => e !== 'auth.challenge' && e !== 'auth.prove')) {
        const req = validFor(ClientEvents[event][0] as unknown as ZodLike, new Prng(SEED + 1));
        const ack = await fresh.request(event, req);
        // Schema first, then authentication: a schema-valid request from an unauthenticated socket is UNAUTHENTICATED.
        expect(ack.ok ? 'ok' : ack.error.code, event).toBe('UNAUTHENTICATED');
      }
      // auth.prove without a challenge.
      const prove = validFor(ClientEvents['auth.prove'][0] as unknown as ZodLike, new Prng(SEED + 2));
      const ack = await fresh.request('auth.prove', prove);
      expect(ack.ok ? 'ok' : ack.error.code).toBe('AUTH_FAILED');
      await fresh.signIn();
      // Admitting into a group that does not exist; sending into a session not joined.
      // An entry for a group that does not exist (its group id in the request and the body agree).
      const nowhere = b64(16);
      const entry = forgeEntry({ ...fuzzGroup.state, groupId: nowhere }, { type: 'admit', member: fresh.member }, fresh.ik);
      const a1 = await fresh.request('roster.append', { groupId: nowhere, entry });
      expect(a1.ok ? 'ok' : a1.error.code).toBe('NOT_FOUND');
      // A message into a session this socket never entered.
      const env = { header: { v: 2, groupId: fuzzGroup.groupId, sessionId: fuzzGroup.sessionId, epoch: 0, rosterHash: b64(32), headEpoch: 0, headHash: b64(32), sender: fresh.member, keyId: b64(16), counter: 0, type: 'chat', ttl: 60 }, nonce: b64(24), ct: b64(64), sig: b64(64) };
      const a2 = await fresh.request('message.send', { envelope: env });
      expect(a2.ok ? 'ok' : a2.error.code).toBe('NOT_MEMBER');
      // Keys to a session not joined.
      const a3 = await fresh.request('keys.distribute', { groupId: fuzzGroup.groupId, sessionId: fuzzGroup.sessionId, sealed: [{ v: 2, groupId: fuzzGroup.groupId, sessionId: fuzzGroup.sessionId, from: fresh.member, to: fuzzGroup.facilitator.member, keyId: b64(16), nonce: b64(24), box: b64(100) }] });
      expect(a3.ok ? 'ok' : a3.error.code).toBe('NOT_MEMBER');
    } finally {
      fresh.close();
    }
  });

  it('leaks no plaintext of the real session into the database, logs or packets', () => {
    const canaries = Object.fromEntries(
      [...legit.all.flatMap((c) => texts(c))].filter((t) => t.startsWith('CANARY')).map((t) => [t, t]),
    );
    canaries.alice = 'CANARY-fuzz-alice-1f2e';
    canaries.bob = 'CANARY-fuzz-bob-3d4c';
    expect(Object.keys(canaries).length).toBeGreaterThan(10);
    expect(canaryHits(relay, canaries)).toEqual([]);
  });
});
