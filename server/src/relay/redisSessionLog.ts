/**
 * The session log in Redis, shared by every relay node (KINDRED_REDIS_URL): a client that reconnects to another
 * node resumes there with lastSeq. Keys, all under `<prefix>s:{<groupId>}:<sessionId>:` (ids are base64url; the hash
 * tag puts every key of a group in one Redis Cluster slot, redisKeys.ts):
 *   seq              INCR counter, the session's relay seq (kept while the session is open, at most SEQ_TTL_MS idle);
 *                    created at memorySeqBase(wall clock), so that if Redis ever loses it (a restart without
 *                    persistence) the new numbers stay above every number clients saw before
 *   buf              list of "<seq> <at> <envelope JSON>", capped at maxItems and at maxBytes of envelope JSON,
 *                    expiring ttlMs after the last push
 *   bytes            the envelope JSON bytes in buf (expiring with it; counted again from the list if missing)
 *   sealed:<member>  list of "<at> <sealed key JSON>", capped likewise
 *   away:<member>    "<since>", expiring after ttlMs
 * Only ciphertext and opaque ids. The TTL is checked on the relay's clock when reading (as in memory) and enforced
 * by Redis key expiry besides, so nothing outlives it even if no node ever reads it again.
 *
 * Seq allocation and buffering are one Lua script (one round trip, atomic). Delivery between nodes may reorder
 * messages allocated a few microseconds apart, so missedAfter also returns up to REORDER_SLACK messages before
 * lastSeq: clients drop the duplicates as replays, and nothing is lost.
 */
import { KindredError } from '@kindred/shared/errors';
import type { Envelope, RelayedMessage, SealedSenderKey } from '@kindred/shared/protocol';
import { createHash } from 'node:crypto';
import { isCluster, type RedisClient } from '../redisClient';
import { sessionKeyBase } from './redisKeys';
import { memorySeqBase, type BufferLimits, type SessionLog, type SessionLogs } from './sessionLog';

/** The seq counter outlives quiet spells (a support group may be silent for a long time) but not forever. */
export const SEQ_TTL_MS = 48 * 3600 * 1000;
/** Messages before lastSeq returned again on resume, to cover reordering between nodes. */
export const REORDER_SLACK = 32;

// KEYS: seq, buf, bytes. ARGV: envelope JSON, now, maxItems, ttlMs, seqTtlMs, seq base, maxBytes. Returns the seq.
const APPEND_SCRIPT = `
local function jsonLen(item)
  local a = string.find(item, ' ', 1, true)
  return #item - string.find(item, ' ', a + 1, true)
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[6]) end
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local max = tonumber(ARGV[3])
if max > 0 then
  -- %d, not .. : Lua writes numbers above 10^14 in exponent form
  redis.call('RPUSH', KEYS[2], string.format('%d', seq) .. ' ' .. ARGV[2] .. ' ' .. ARGV[1])
  local bytes = tonumber(redis.call('GET', KEYS[3]) or '-1')
  if bytes < 0 then
    bytes = 0
    for _, item in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do bytes = bytes + jsonLen(item) end
  else
    bytes = bytes + #ARGV[1]
  end
  local maxBytes = tonumber(ARGV[7])
  while redis.call('LLEN', KEYS[2]) > max or (bytes > maxBytes and bytes > 0) do
    bytes = bytes - jsonLen(redis.call('LPOP', KEYS[2]))
  end
  redis.call('SET', KEYS[3], string.format('%d', bytes), 'PX', ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
end
return seq`;
/** EVALSHA names the script by this digest; each Redis (each shard of a cluster) learns it on first EVAL. */
const APPEND_SHA = createHash('sha1').update(APPEND_SCRIPT).digest('hex');

export class RedisSessionLogs implements SessionLogs {
  readonly shared = true;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly limits: BufferLimits,
  ) {}

  open(groupId: string, sessionId: string): SessionLog {
    return new RedisSessionLog(this, sessionKeyBase(this.prefix, groupId, sessionId), this.limits);
  }

  get client(): RedisClient {
    return this.redis;
  }

  /**
   * EVALSHA, and EVAL where Redis does not know the script yet (first use, a restart, or a shard of a cluster that
   * never ran it: EVAL goes to the keys' shard and leaves the script cached there).
   */
  async runAppend(keys: string[], args: string[]): Promise<number> {
    const options = { keys, arguments: args };
    try {
      return Number(await this.redis.evalSha(APPEND_SHA, options));
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return Number(await this.redis.eval(APPEND_SCRIPT, options));
    }
  }
}

/** Redis failures reach the client as UNAVAILABLE (try again), never as a driver message. */
async function shared<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new KindredError('UNAVAILABLE', 'shared session state', { cause: e });
  }
}

/** "<a> <b> <rest>": splits off `n` space-separated numeric fields; the rest is JSON (which may hold spaces). */
function fields(item: string, n: number): { nums: number[]; json: string } | undefined {
  const nums: number[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const space = item.indexOf(' ', at);
    if (space < 0) return undefined;
    nums.push(Number(item.slice(at, space)));
    at = space + 1;
  }
  return { nums, json: item.slice(at) };
}

class RedisSessionLog implements SessionLog {
  readonly shared = true;
  constructor(
    private readonly logs: RedisSessionLogs,
    private readonly base: string,
    private readonly limits: BufferLimits,
  ) {}

  private get redis(): RedisClient {
    return this.logs.client;
  }

  append(envelope: Envelope, now: number): Promise<RelayedMessage> {
    return shared(async () => {
      const { ttlMs, maxItems } = this.limits;
      const seq = await this.logs.runAppend(
        [`${this.base}seq`, `${this.base}buf`, `${this.base}bytes`],
        [
          JSON.stringify(envelope),
          String(now),
          String(ttlMs > 0 ? maxItems : 0),
          String(Math.max(1, ttlMs)),
          String(SEQ_TTL_MS),
          // Only read when the counter does not exist yet (the first message of the session, or after a loss).
          String(memorySeqBase(Date.now())),
          String(this.limits.maxBytes),
        ],
      );
      return { seq, envelope };
    });
  }

  currentSeq(): Promise<number> {
    // No counter yet means no message yet: the first one will be numbered from the clock (far above 0).
    return shared(async () => Number((await this.redis.get(`${this.base}seq`)) ?? 0));
  }

  missedAfter(lastSeq: number, now: number): Promise<RelayedMessage[]> {
    return shared(async () => {
      const items = await this.redis.lRange(`${this.base}buf`, 0, -1);
      const out: RelayedMessage[] = [];
      for (const item of items) {
        const f = fields(item, 2);
        if (!f) continue;
        const [seq, at] = f.nums as [number, number];
        if (now - at > this.limits.ttlMs || seq <= lastSeq - REORDER_SLACK) continue;
        out.push({ seq, envelope: JSON.parse(f.json) as Envelope }); // written by a relay node; clients verify it
      }
      return out;
    });
  }

  bufferSealed(sealed: readonly SealedSenderKey[], now: number): Promise<void> {
    const { ttlMs, maxItems } = this.limits;
    if (ttlMs <= 0 || maxItems <= 0 || sealed.length === 0) return Promise.resolve();
    return shared(async () => {
      const tx = this.redis.multi();
      for (const s of sealed) {
        const key = `${this.base}sealed:${s.to}`;
        tx.rPush(key, `${now} ${JSON.stringify(s)}`).lTrim(key, -maxItems, -1).pExpire(key, ttlMs);
      }
      await tx.exec();
    });
  }

  sealedFor(member: string, now: number): Promise<SealedSenderKey[]> {
    return shared(async () => {
      const items = await this.redis.lRange(`${this.base}sealed:${member}`, 0, -1);
      const out: SealedSenderKey[] = [];
      for (const item of items) {
        const f = fields(item, 1);
        if (!f || now - f.nums[0]! > this.limits.ttlMs) continue;
        out.push(JSON.parse(f.json) as SealedSenderKey); // written by a relay node; clients verify it
      }
      return out;
    });
  }

  markAway(member: string, now: number): Promise<void> {
    if (this.limits.ttlMs <= 0) return Promise.resolve();
    return shared(async () => {
      await this.redis.set(`${this.base}away:${member}`, String(now), { PX: this.limits.ttlMs });
    });
  }

  arrived(member: string): Promise<void> {
    return shared(async () => {
      await this.redis.unlink(`${this.base}away:${member}`);
    });
  }

  isAway(member: string, now: number): Promise<boolean> {
    return shared(async () => {
      const since = await this.redis.get(`${this.base}away:${member}`);
      return since !== null && now - Number(since) <= this.limits.ttlMs;
    });
  }

  forget(member: string): Promise<void> {
    return shared(async () => {
      await this.redis.unlink([`${this.base}away:${member}`, `${this.base}sealed:${member}`]);
    });
  }

  dispose(): Promise<void> {
    return shared(async () => {
      // On a cluster, SCAN walks one shard: the one that owns the session's hash tag, and so every key of it.
      const redis = isCluster(this.redis) ? await this.redis.getNodeClientForKey(`${this.base}seq`) : this.redis;
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${this.base}*`, COUNT: 100 })) keys.push(...batch);
      if (keys.length > 0) await this.redis.unlink(keys);
    });
  }
}
