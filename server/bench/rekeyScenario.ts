/**
 * Rekey after a removal, relay side: a facilitator removes one member of a live session; every remaining member,
 * on the roster push, distributes a new sender key sealed to every other remaining member (`keys.distribute`, in
 * requests under the relay's payload bound, one after the other as the engine does); the time is from sending the
 * removal until every remaining member holds every other's new key. The raw clients send schema-valid sealed keys
 * of the real size without sealing them (all N clients share one generator core, which would otherwise measure
 * N x the device work in series); the per-device crypto (seal to N-2 members, open N-2 keys) is measured apart with
 * the protocol core and added for the estimate.
 */
import { applyRosterEntry, openSenderKey, rekey, signRosterEntry, type RosterState } from '@kindred/shared/crypto';
import type { SealedSenderKey } from '@kindred/shared/protocol';
import { randomBytes } from 'node:crypto';
import type { PlannedMember, RoomPlan } from './roomPlan';
import type { MessageTemplate } from './benchPayload';
import { KEYS_REQUEST_BUDGET_BYTES } from '@kindred/shared/protocol';
import type { RawSocketIo } from './rawSocketIo';
import { closeRooms, connectRooms, sleep } from './scenarios';
import { request, type RelayTarget } from './targets';

export interface RekeyResult {
  members: number;
  /** Keys each remaining member must receive (one from every other remaining member). */
  keysPerMember: number;
  sealedKeyBytes: number;
  keysPerRequest: number;
  /** Removal sent -> every remaining member holds every other's new key (the relay's part, raw clients). */
  relayMs: number;
  complete: boolean;
  /** One device sealing its new key to the N-2 others, and opening N-2 keys (protocol core, this machine). */
  sealMs: number;
  openMs: number;
  /** relayMs + sealMs + openMs: devices work in parallel, so each adds its own seal and open once. */
  estimateMs: number;
  /** One member's new key alone, from its first request until every other remaining member holds it (relay part). */
  oneSenderMs: number;
  /** The engine's behaviour above EAGER_REKEY_MAX_PRESENT present members (lazy rekey), after a second removal. */
  lazy: LazyRekeyResult;
}

export interface LazyRekeyResult {
  /** Members left after the second removal (its victim is another member than the first's). */
  members: number;
  /** Removal sent -> every remaining member has the roster push (each device drops its old chain on it). */
  notifiedMs: number;
  /** Members who speak at once right after the removal: each distributes a new key, then sends one message. */
  speakers: number;
  /** Removal sent -> every remaining member holds every speaker's new key and has every speaker's message. */
  relayMs: number;
  complete: boolean;
  /** relayMs + one device's seal to the others + opening `speakers` keys (devices work in parallel). */
  estimateMs: number;
}

/** Members who speak right after a removal in the lazy measurement. */
export const LAZY_SPEAKERS = 10;

const b64 = (n: number): string => randomBytes(n).toString('base64url');
const SEALED_PREFIX = Buffer.from('42["keys.sealed"');
const ROSTER_PREFIX = Buffer.from('42["roster.entry"');
const MESSAGE_PREFIX = Buffer.from('42["message"');
const BOX_FIELD = Buffer.from('"box":"');
/** Sealed keys in one `keys.sealed` push (the relay coalesces them: one push may carry many). */
function sealedKeysIn(frame: Buffer): number {
  let n = 0;
  for (let at = frame.indexOf(BOX_FIELD); at >= 0; at = frame.indexOf(BOX_FIELD, at + BOX_FIELD.length)) n++;
  return n;
}
const startsWith = (frame: Buffer, prefix: Buffer): boolean =>
  frame.length > prefix.length && frame.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;

export async function measureRekey(target: RelayTarget, plan: RoomPlan, maxPayloadBytes: number, deadlineMs: number): Promise<RekeyResult> {
  const n = plan.members.length;
  const creator = plan.members[0]!;
  const victim = plan.members[n - 1]!;
  const remaining = plan.members.slice(0, n - 1);
  const removal = signRosterEntry(plan.state, { type: 'remove', member: victim.memberId }, creator.ik);
  const after = applyRosterEntry(plan.state, removal);

  // Per-device crypto with the real functions: member 1 rekeys and seals to the N-2 others; one recipient opens
  // N-2 keys (one X25519 + XSalsa20-Poly1305 open each, as from N-2 distinct senders).
  const sender = remaining[1]!;
  const recipients = remaining.filter((m) => m !== sender).map((m) => ({ member: m.memberId, sessionPk: m.sessionKeyPair.publicKey }));
  let t = performance.now();
  const { sealed } = rekey({ roster: after, sender: sender.memberId, recipients, me: sender.sessionKeyPair, nowMs: Date.now() });
  const sealMs = performance.now() - t;
  const probe = sealed[0]!;
  const opener = remaining.find((m) => m.memberId === probe.to)!;
  t = performance.now();
  for (let i = 0; i < recipients.length; i++) openSenderKey(probe, sender.sessionKeyPair.publicKey, opener.sessionKeyPair, opener.memberId);
  const openMs = performance.now() - t;

  // Schema-valid keys of the real size from every remaining member to every other, chunked under the bound.
  const sealedKeyBytes = Buffer.byteLength(JSON.stringify(probe));
  const boxBytes = Buffer.from(probe.box, 'base64url').length;
  // As the engine cuts them: requests of at most KEYS_REQUEST_BUDGET_BYTES of JSON (checked against the relay's bound).
  const requestOverhead = Buffer.byteLength(JSON.stringify({ groupId: plan.groupId, sessionId: plan.sessionId, sealed: [] }));
  const keysPerRequest = Math.max(1, Math.floor((Math.min(KEYS_REQUEST_BUDGET_BYTES, maxPayloadBytes) - requestOverhead) / (sealedKeyBytes + 1)));
  const fake = (from: string, to: string, keyId: string): SealedSenderKey => ({
    v: 2, groupId: plan.groupId, sessionId: plan.sessionId, from, to, keyId, nonce: b64(24), box: b64(boxBytes),
  });
  const chunked = (from: PlannedMember, to: readonly PlannedMember[]): SealedSenderKey[][] => {
    const keyId = b64(16);
    const keys = to.filter((r) => r !== from).map((r) => fake(from.memberId, r.memberId, keyId));
    const chunks: SealedSenderKey[][] = [];
    for (let i = 0; i < keys.length; i += keysPerRequest) chunks.push(keys.slice(i, i + keysPerRequest));
    return chunks;
  };
  const requests = remaining.map((s) => chunked(s, remaining));

  const c = await connectRooms(target, [plan], 32);
  try {
    const sockets = c.rooms[0]!.members.map((m) => m.socket);
    const want = n - 2;
    const counts = new Uint32Array(n - 1);
    let done = 0;
    let endAt = 0;
    const started = new Uint8Array(n - 1);
    const errors: string[] = [];
    const distribute = async (i: number): Promise<void> => {
      if (started[i]) return;
      started[i] = 1;
      for (const chunk of requests[i]!) {
        await request(sockets[i]!, 'keys.distribute', { groupId: plan.groupId, sessionId: plan.sessionId, sealed: chunk }).catch((e: unknown) => {
          errors.push(e instanceof Error ? e.message : String(e));
        });
      }
    };
    for (let i = 0; i < n - 1; i++) {
      sockets[i]!.onEventFrame = (frame) => {
        if (startsWith(frame, SEALED_PREFIX)) {
          const had = counts[i]!;
          counts[i] = had + sealedKeysIn(frame);
          if (had < want && counts[i]! >= want && ++done === n - 1) endAt = performance.now();
        } else if (startsWith(frame, ROSTER_PREFIX)) {
          void distribute(i);
        }
      };
    }
    const t0 = performance.now();
    await request(sockets[0]!, 'roster.append', { groupId: plan.groupId, entry: removal });
    void distribute(0); // the facilitator rekeys on its own append, push or not
    while (endAt === 0 && performance.now() - t0 < deadlineMs) await sleep(5);
    const complete = endAt > 0;
    const relayMs = (complete ? endAt : performance.now()) - t0;
    if (errors.length > 0) throw new Error(`keys.distribute refused during the rekey: ${errors[0]}`);

    // One sender alone (the lazy alternative: each member rekeys before its own next message): from its first
    // request until every other remaining member holds its new key.
    const before = Uint32Array.from(counts);
    let got = 0;
    let oneEndAt = 0;
    for (let i = 0; i < n - 1; i++) {
      if (i === 1) continue;
      sockets[i]!.onEventFrame = (frame) => {
        if (!startsWith(frame, SEALED_PREFIX)) return;
        const had = counts[i]!;
        counts[i] = had + sealedKeysIn(frame);
        if (had === before[i]! && ++got === n - 2) oneEndAt = performance.now();
      };
    }
    const t1 = performance.now();
    started[1] = 0;
    await distribute(1);
    while (oneEndAt === 0 && performance.now() - t1 < deadlineMs) await sleep(2);
    const oneSenderMs = (oneEndAt || performance.now()) - t1;

    const lazy = await measureLazyRekey({ plan, after, sockets, templates: c.rooms[0]!.members.map((m) => m.template), chunked, deadlineMs, sealMs, openOneMs: openMs / Math.max(1, want) });
    return {
      members: n,
      keysPerMember: want,
      sealedKeyBytes,
      keysPerRequest,
      relayMs,
      complete,
      sealMs,
      openMs,
      estimateMs: relayMs + sealMs + openMs,
      oneSenderMs,
      lazy,
    };
  } finally {
    closeRooms(c);
  }
}

/**
 * What the engine does in a large session (lazy rekey, docs/PROTOCOL.md part B): a second member is removed; every
 * remaining device drops its chain on the roster push (measured: until all have it); then the first
 * LAZY_SPEAKERS members speak at once, each distributing a new key to every other remaining member (in the
 * engine's request size, one request after the other) and then sending its message. Measured: from the removal
 * until every remaining member holds every speaker's key and has every speaker's message.
 */
async function measureLazyRekey(o: {
  plan: RoomPlan;
  after: RosterState;
  sockets: RawSocketIo[];
  templates: MessageTemplate[];
  chunked: (from: PlannedMember, to: readonly PlannedMember[]) => SealedSenderKey[][];
  deadlineMs: number;
  sealMs: number;
  openOneMs: number;
}): Promise<LazyRekeyResult> {
  const { plan } = o;
  const n = plan.members.length;
  // The first removal took the last member; this one takes the one before it.
  const victim = plan.members[n - 2]!;
  const remaining = plan.members.slice(0, n - 2);
  const removal = signRosterEntry(o.after, { type: 'remove', member: victim.memberId }, plan.members[0]!.ik);
  const speakers = Math.min(LAZY_SPEAKERS, remaining.length - 1);
  const isSpeaker = (i: number): boolean => i >= 1 && i <= speakers;
  const keysWanted = (i: number): number => speakers - (isSpeaker(i) ? 1 : 0);
  const keys = new Uint32Array(remaining.length);
  const msgs = new Uint32Array(remaining.length);
  let notified = 0;
  let notifiedAt = 0;
  let done = 0;
  let doneAt = 0;
  const errors: string[] = [];
  const finished = (i: number): boolean => keys[i]! >= keysWanted(i) && msgs[i]! >= speakers;
  const speak = async (i: number): Promise<void> => {
    for (const chunk of o.chunked(remaining[i]!, remaining)) {
      await request(o.sockets[i]!, 'keys.distribute', { groupId: plan.groupId, sessionId: plan.sessionId, sealed: chunk }).catch((e: unknown) => void errors.push(String(e)));
    }
    o.sockets[i]!.emitJsonWithAck(o.templates[i]!.body(i, performance.now()), () => {});
  };
  for (let i = 0; i < remaining.length; i++) {
    o.sockets[i]!.onEventFrame = (frame) => {
      const before = finished(i);
      if (startsWith(frame, SEALED_PREFIX)) keys[i] = keys[i]! + sealedKeysIn(frame);
      else if (startsWith(frame, MESSAGE_PREFIX)) msgs[i]!++;
      else if (startsWith(frame, ROSTER_PREFIX)) {
        if (++notified === remaining.length) notifiedAt = performance.now();
        if (isSpeaker(i)) void speak(i);
      }
      if (!before && finished(i) && ++done === remaining.length) doneAt = performance.now();
    };
  }
  const t0 = performance.now();
  await request(o.sockets[0]!, 'roster.append', { groupId: plan.groupId, entry: removal });
  while (doneAt === 0 && performance.now() - t0 < o.deadlineMs) await sleep(2);
  if (errors.length > 0) throw new Error(`keys.distribute refused during the lazy rekey: ${errors[0]}`);
  const complete = doneAt > 0;
  const relayMs = (complete ? doneAt : performance.now()) - t0;
  return {
    members: remaining.length,
    notifiedMs: (notifiedAt || performance.now()) - t0,
    speakers,
    relayMs,
    complete,
    estimateMs: relayMs + o.sealMs + speakers * o.openOneMs,
  };
}
