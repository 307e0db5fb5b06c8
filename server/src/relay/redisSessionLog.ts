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
 *   head             "<epoch> <hash>", the group's roster head as of the latest entry stored while this session is
 *                    open (it only moves up); every append checks the node's roster against it in the same script.
 *                    Kept when the session is disposed (until SEQ_TTL_MS), so a node that missed the close is refused
 *   sent:<sender>    list of "<seq> <send id>", the sender's last RECENT_SENDS messages: a retried envelope gets
 *                    its first seq back and is not pushed twice (expiring SEQ_TTL_MS after the sender's last message)
 * Only ciphertext and opaque ids. The TTL is checked on the relay's clock when reading (as in memory) and enforced
 * by Redis key expiry besides, so nothing outlives it even if no node ever reads it again.
 *
 * The roster check, seq allocation and buffering are one Lua script (one round trip, atomic). Delivery between nodes may reorder
 * messages allocated a few microseconds apart, so missedAfter also returns up to REORDER_SLACK messages before
 * lastSeq: clients drop the duplicates as replays, and nothing is lost.
 */
import { KindredError } from '@kindred/shared/errors';
import type { Envelope, RelayedMessage, SealedSenderKey } from '@kindred/shared/protocol';
import { createHash } from 'node:crypto';
import { isCluster, type RedisClient } from '../redisClient';
import { sessionKeyBase } from './redisKeys';
import type { BufferLimits } from './bufferLimits';
import { RECENT_SENDS, memorySeqBase, sendId, type Appended, type RosterHead, type SessionLog, type SessionLogs } from './sessionLog';

/** The seq counter outlives quiet spells (a support group may be silent for a long time) but not forever. */
export const SEQ_TTL_MS = 48 * 3600 * 1000;
/** Messages before lastSeq returned again on resume, to cover reordering between nodes. */
export const REORDER_SLACK = 32;

/**
 * One message, one round trip. KEYS: seq, buf, bytes, head, sent:<sender>. ARGV: envelope JSON, now, maxItems, ttlMs,
 * seqTtlMs, seq base, maxBytes, the node's head epoch, its head hash, the send id. Returns {1, seq} for a new
 * message, {0, seq} for one appended before (same send id), {-1, head epoch} when the shared head is newer than the
 * node's (nothing appended). The head moves up to the node's when it is older or missing.
 */
const APPEND_SCRIPT = `
local function jsonLen(item)
  local a = string.find(item, ' ', 1, true)
  return #item - string.find(item, ' ', a + 1, true)
end
local nodeEpoch = tonumber(ARGV[8])
local head = redis.call('GET', KEYS[4])
local headEpoch = -1
if head then
  local sp = string.find(head, ' ', 1, true)
  headEpoch = tonumber(string.sub(head, 1, sp - 1))
  if headEpoch > nodeEpoch then return {-1, headEpoch} end
  -- storage never holds two entries at one epoch: the same epoch with another hash is a node misled about its roster
  if headEpoch == nodeEpoch and string.sub(head, sp + 1) ~= ARGV[9] then return {-1, headEpoch} end
end
if headEpoch < nodeEpoch then
  redis.call('SET', KEYS[4], ARGV[8] .. ' ' .. ARGV[9], 'PX', ARGV[5])
end
for _, item in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do
  local sp = string.find(item, ' ', 1, true)
  if string.sub(item, sp + 1) == ARGV[10] then return {0, tonumber(string.sub(item, 1, sp - 1))} end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[6]) end
local seq = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
redis.call('PEXPIRE', KEYS[4], ARGV[5])
-- %d, not .. : Lua writes numbers above 10^14 in exponent form
redis.call('RPUSH', KEYS[5], string.format('%d', seq) .. ' ' .. ARGV[10])
redis.call('LTRIM', KEYS[5], -${RECENT_SENDS}, -1)
redis.call('PEXPIRE', KEYS[5], ARGV[5])
local max = tonumber(ARGV[3])
if max > 0 then
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
return {1, seq}`;

/** KEYS: head. ARGV: epoch, hash, ttlMs. Moves the head up to (epoch, hash) unless it is there or beyond. */
const ADVANCE_HEAD_SCRIPT = `
local head = redis.call('GET', KEYS[1])
if head then
  local sp = string.find(head, ' ', 1, true)
  if tonumber(string.sub(head, 1, sp - 1)) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
return 1`;

/**
 * A Lua script run by EVALSHA (by its digest), and by EVAL where Redis does not know it yet (first use, a restart, or
 * a shard of a cluster that never ran it: EVAL goes to the keys' shard and leaves the script cached there).
 */
class Script {
  private readonly sha: string;
  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await redis.evalSha(this.sha, options);
    } catch (e) {
      if (!(e instanceof Error) || !e.message.startsWith('NOSCRIPT')) throw e;
      return redis.eval(this.source, options);
    }
  }
}

export class RedisSessionLogs implements SessionLogs {
  readonly shared = true;
  readonly appendScript = new Script(APPEND_SCRIPT);
  readonly advanceHeadScript = new Script(ADVANCE_HEAD_SCRIPT);

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

  append(envelope: Envelope, now: number, head: RosterHead): Promise<Appended> {
    return shared(async () => {
      const { ttlMs, maxItems } = this.limits;
      const [status, n] = (await this.logs.appendScript.run(
        this.redis,
        [`${this.base}seq`, `${this.base}buf`, `${this.base}bytes`, `${this.base}head`, `${this.base}sent:${envelope.header.sender}`],
        [
          JSON.stringify(envelope),
          String(now),
          String(ttlMs > 0 ? maxItems : 0),
          String(Math.max(1, ttlMs)),
          String(SEQ_TTL_MS),
          // Only read when the counter does not exist yet (the first message of the session, or after a loss).
          String(memorySeqBase(Date.now())),
          String(this.limits.maxBytes),
          String(head.epoch),
          head.head,
          sendId(envelope),
        ],
      )) as [number, number];
      if (status === 1) return { status: 'new', relayed: { seq: n, envelope } };
      if (status === 0) return { status: 'duplicate', seq: n };
      return { status: 'stale', epoch: n };
    });
  }

  advanceHead(head: RosterHead): Promise<void> {
    return shared(async () => {
      await this.logs.advanceHeadScript.run(this.redis, [`${this.base}head`], [String(head.epoch), head.head, String(SEQ_TTL_MS)]);
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
      const head = `${this.base}head`;
      for await (const batch of redis.scanIterator({ MATCH: `${this.base}*`, COUNT: 100 })) keys.push(...batch.filter((k) => k !== head));
      if (keys.length > 0) await this.redis.unlink(keys);
    });
  }
}
