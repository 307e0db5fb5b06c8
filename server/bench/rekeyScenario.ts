/**
 * Rekey after a removal, relay side: a facilitator removes one member of a live session; every remaining member,
 * on the roster push, distributes a new sender key sealed to every other remaining member (`keys.distribute`, in
 * requests under the relay's payload bound, one after the other as the engine does); the time is from sending the
 * removal until every remaining member holds every other's new key. The raw clients send schema-valid sealed keys
 * of the real size without sealing them (all N clients share one generator core, which would otherwise measure
 * N x the device work in series); the per-device crypto (seal to N-2 members, open N-2 keys) is measured apart with
 * the protocol core and added for the estimate.
 */
import { applyRosterEntry, openSenderKey, rekey, signRosterEntry } from '@kindred/shared/crypto';
import type { SealedSenderKey } from '@kindred/shared/protocol';
import { randomBytes } from 'node:crypto';
import type { RoomPlan } from './roomPlan';
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
  /** What the relay did with one `keys.distribute` of min(1000, N-2) keys, the engine's chunk size. */
  engineChunkProbe: string;
}

const b64 = (n: number): string => randomBytes(n).toString('base64url');
const SEALED_PREFIX = Buffer.from('42["keys.sealed"');
const ROSTER_PREFIX = Buffer.from('42["roster.entry"');
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
  const keysPerRequest = Math.max(1, Math.floor((maxPayloadBytes * 0.95 - 200) / (sealedKeyBytes + 1)));
  const fake = (from: string, to: string, keyId: string): SealedSenderKey => ({
    v: 1, groupId: plan.groupId, sessionId: plan.sessionId, from, to, keyId, nonce: b64(24), box: b64(boxBytes),
  });
  const requests = remaining.map((s) => {
    const keyId = b64(16);
    const keys = remaining.filter((r) => r !== s).map((r) => fake(s.memberId, r.memberId, keyId));
    const chunks: SealedSenderKey[][] = [];
    for (let i = 0; i < keys.length; i += keysPerRequest) chunks.push(keys.slice(i, i + keysPerRequest));
    return chunks;
  });

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
          if (++counts[i]! === want && ++done === n - 1) endAt = performance.now();
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
        if (startsWith(frame, SEALED_PREFIX) && ++counts[i]! === before[i]! + 1 && ++got === n - 2) oneEndAt = performance.now();
      };
    }
    const t1 = performance.now();
    started[1] = 0;
    await distribute(1);
    while (oneEndAt === 0 && performance.now() - t1 < deadlineMs) await sleep(2);
    const oneSenderMs = (oneEndAt || performance.now()) - t1;

    // The engine sends up to 1000 keys per request: see what the relay does with that many at once.
    const big = remaining.slice(2).map((r) => fake(sender.memberId, r.memberId, b64(16))).slice(0, 1000);
    const probeSocket = sockets[1]!;
    let engineChunkProbe: string;
    const bytes = Buffer.byteLength(JSON.stringify({ groupId: plan.groupId, sessionId: plan.sessionId, sealed: big }));
    try {
      await request(probeSocket, 'keys.distribute', { groupId: plan.groupId, sessionId: plan.sessionId, sealed: big });
      engineChunkProbe = `${big.length} keys (${(bytes / 1024).toFixed(0)} KiB) in one request: accepted`;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      engineChunkProbe = `${big.length} keys (${(bytes / 1024).toFixed(0)} KiB) in one request: ${probeSocket.isOpen ? why : 'connection closed by the relay'}`;
    }
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
      engineChunkProbe,
    };
  } finally {
    closeRooms(c);
  }
}
