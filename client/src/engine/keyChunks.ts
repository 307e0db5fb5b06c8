/**
 * How sealed sender keys are cut into `keys.distribute` requests. The relay refuses a request whose JSON is over its
 * KINDRED_MAX_PAYLOAD_BYTES (PAYLOAD_TOO_LARGE), a bound the client is not told; one sealed key is ~870 bytes of
 * JSON, so a rekey in a session of a few hundred members needs several requests.
 */
import { KEYS_REQUEST_BUDGET_BYTES, type SealedSenderKey } from '@kindred/shared/protocol';

/** Most sealed keys in one request, whatever their size (the relay's schema allows 10,000). */
export const MAX_KEYS_PER_REQUEST = 1000;

const utf8 = new TextEncoder();

/** Bytes of JSON of one sealed key (the relay measures `JSON.stringify(request)` in UTF-8). */
function jsonBytes(value: unknown): number {
  return utf8.encode(JSON.stringify(value)).length;
}

/** Exact serialized size of the request `{ groupId, sessionId, sealed }`, as the relay measures it. */
export function keysRequestBytes(ctx: { groupId: string; sessionId: string }, sealed: readonly SealedSenderKey[]): number {
  if (sealed.length === 0) return jsonBytes({ groupId: ctx.groupId, sessionId: ctx.sessionId, sealed: [] });
  let total = jsonBytes({ groupId: ctx.groupId, sessionId: ctx.sessionId, sealed: [] }) + sealed.length - 1; // commas
  for (const s of sealed) total += jsonBytes(s);
  return total;
}

/**
 * Cuts `sealed` (in order) into requests of at most `budgetBytes` of JSON and `maxKeys` keys each, each as full as
 * the bounds allow. A single key over the budget gets a request of its own (the relay decides; it is never dropped).
 */
export function chunkSealedKeys(
  ctx: { groupId: string; sessionId: string },
  sealed: readonly SealedSenderKey[],
  budgetBytes: number = KEYS_REQUEST_BUDGET_BYTES,
  maxKeys: number = MAX_KEYS_PER_REQUEST,
): SealedSenderKey[][] {
  const envelope = keysRequestBytes(ctx, []);
  const chunks: SealedSenderKey[][] = [];
  let current: SealedSenderKey[] = [];
  let bytes = envelope;
  for (const s of sealed) {
    const keyBytes = jsonBytes(s);
    if (current.length > 0 && (bytes + 1 + keyBytes > budgetBytes || current.length >= maxKeys)) {
      chunks.push(current);
      current = [];
      bytes = envelope;
    }
    bytes += (current.length > 0 ? 1 : 0) + keyBytes; // a comma before every key but the first
    current.push(s);
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
