/**
 * The session log contract, on both implementations: in memory (one node), in the machine's Redis and in a
 * three-master Redis Cluster of the test's own (several nodes; a key prefix of its own per run, deleted at the end). Redis being down is a failure with a clear message, never a
 * skip. Times are the relay's clock, passed in: no timers. Seqs are compared relative to a log's first one (where
 * numbering starts is each implementation's business).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Envelope, RelayedMessage, SealedSenderKey } from '@kindred/shared/protocol';
import { connectRedis, keysMatching, type RedisClient } from '../redisClient';
import { dropKeysAndClose, testRedis } from '../testServices';
import { CLUSTER_HOOK_TIMEOUT_MS, startRedisCluster, type LocalRedisCluster } from '../testRedisCluster';
import { REORDER_SLACK, RedisSessionLogs } from './redisSessionLog';
import type { BufferLimits } from './bufferLimits';
import { MemorySessionLogs, memorySeqBase, type RosterHead, type SessionLog, type SessionLogs } from './sessionLog';
import { b64 } from './testHarness';

const limits = { ttlMs: 1000, maxItems: 3, maxBytes: 1024 * 1024 };
const prefix = `kindred-test-log-${process.pid}-${randomBytes(4).toString('hex')}:`;

function envelope(counter: number): Envelope {
  const header = { v: 2 as const, groupId: b64(16), sessionId: b64(16), epoch: 1, rosterHash: b64(32), headEpoch: 1, headHash: b64(32), sender: b64(32), keyId: b64(16), counter, type: 'chat' as const, ttl: 600 };
  return { header, nonce: b64(24), ct: b64(40), sig: b64(64) };
}
function sealedTo(to: string): SealedSenderKey {
  return { v: 2, groupId: b64(16), sessionId: b64(16), from: b64(32), to, keyId: b64(16), nonce: b64(24), box: b64(80) };
}

const HEAD = { epoch: 3, head: 'h3' };

/** Appends a message that must be new (the usual case), and returns it as relayed. */
async function add(log: SessionLog, e: Envelope, now: number, head: RosterHead = HEAD): Promise<RelayedMessage> {
  const r = await log.append(e, now, head);
  if (r.status !== 'new') throw new Error(`expected a new message, got ${r.status}`);
  return r.relayed;
}

function contract(name: string, openWith: (l: BufferLimits) => SessionLogs, slack: number): void {
  const open = (): SessionLogs => openWith(limits);
  describe(`session log: ${name}`, () => {
    let log: SessionLog;
    const fresh = (): SessionLog => (log = open().open(b64(16), b64(16)));

    it('numbers messages one by one and keeps the last maxItems within the TTL', async () => {
      fresh();
      const sent = [0, 1, 2, 3, 4].map(envelope);
      const seq: number[] = [];
      for (const [i, e] of sent.entries()) {
        const r = await add(log, e, 100 + i);
        expect(r.envelope).toBe(e);
        seq.push(r.seq);
      }
      const base = seq[0]!;
      expect(seq).toEqual([base, base + 1, base + 2, base + 3, base + 4]);
      const since = (n: number): number[] => [2, 3, 4].filter((i) => seq[i]! > n || (slack > 0 && seq[i]! > n - slack)).map((i) => seq[i]!);
      expect(await log.missedAfter(base - 1, 104)).toEqual([2, 3, 4].map((i) => ({ seq: seq[i], envelope: sent[i] })));
      expect((await log.missedAfter(base + 3, 104)).map((m) => m.seq)).toEqual(since(base + 3));
      expect((await log.missedAfter(base - 1, 1104)).map((m) => m.seq)).toEqual([base + 4]); // the others are older than the TTL
      expect(await log.missedAfter(base - 1, 2000)).toEqual([]);
    });

    it('keeps at most maxBytes of envelope JSON, the newest messages, and a large one at the cost of older ones', async () => {
      const size = Buffer.byteLength(JSON.stringify(envelope(0)));
      const maxBytes = 40 * size;
      log = openWith({ ttlMs: 1000, maxItems: 1000, maxBytes }).open(b64(16), b64(16));
      const seqs: number[] = [];
      for (let i = 0; i < 200; i++) seqs.push((await add(log, envelope(i), 100)).seq);
      const kept = (await log.missedAfter(seqs[0]! - 1, 100)).map((m) => m.seq).filter((q) => q >= seqs[0]!);
      const keptBytes = kept.length * size;
      expect(keptBytes).toBeLessThanOrEqual(maxBytes);
      expect(kept.length).toBeGreaterThanOrEqual(20); // not emptied: at least half the bound stays in use
      expect(kept).toEqual(seqs.slice(seqs.length - kept.length)); // the newest, in order, none missing
      // One message of a third of the bound: kept, and older ones go to make room.
      const large = { ...envelope(999), ct: b64(Math.floor((maxBytes / 3) * 0.75)) };
      const big = (await add(log, large, 101)).seq;
      const after = (await log.missedAfter(seqs[0]! - 1, 101)).filter((m) => m.seq >= seqs[0]!);
      expect(after[after.length - 1]).toEqual({ seq: big, envelope: large });
      const total = after.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m.envelope)), 0);
      expect(total).toBeLessThanOrEqual(maxBytes);
      expect(after.length).toBeLessThan(kept.length + 1);
    });

    it('tells where an entry resumes from: below every seq to come before the first message, then the latest seq', async () => {
      fresh();
      const atEntry = await log.currentSeq();
      const first = await add(log, envelope(0), 100);
      expect(first.seq).toBeGreaterThan(atEntry);
      expect((await log.missedAfter(atEntry, 100)).map((m) => m.seq)).toContain(first.seq);
      const second = await add(log, envelope(1), 101);
      expect(await log.currentSeq()).toBe(second.seq);
    });

    it('buffers sealed keys per recipient, and keeps an away member reachable until the TTL', async () => {
      fresh();
      const [a, b] = [b64(32), b64(32)];
      const keys = [sealedTo(a), sealedTo(b), sealedTo(a)];
      await log.bufferSealed(keys, 100);
      expect(await log.sealedFor(a, 200)).toEqual([keys[0], keys[2]]);
      expect(await log.sealedFor(b, 200)).toEqual([keys[1]]);
      expect(await log.isAway(a, 200)).toBe(false);
      await log.markAway(a, 200);
      expect(await log.isAway(a, 1200)).toBe(true);
      expect(await log.isAway(a, 1201)).toBe(false);
      await log.markAway(b, 300);
      await log.arrived(b);
      expect(await log.isAway(b, 400)).toBe(false);
      expect(await log.sealedFor(b, 1101)).toEqual([]); // older than the TTL
    });

    it('answers an envelope appended before with its first seq, and appends nothing for it', async () => {
      fresh();
      const e = envelope(7);
      const first = await add(log, e, 100);
      await add(log, envelope(8), 100);
      expect(await log.append({ ...e }, 101, HEAD)).toEqual({ status: 'duplicate', seq: first.seq });
      // the same counter under another key id is another message
      const other = await add(log, { ...e, header: { ...e.header, keyId: b64(16) } }, 101);
      expect(other.seq).toBe(first.seq + 2);
      expect((await log.missedAfter(first.seq - 1, 101)).filter((m) => m.seq >= first.seq)).toHaveLength(3);
    });

    it('forgets a member, and everything when the session ends', async () => {
      fresh();
      const [a, b] = [b64(32), b64(32)];
      await add(log, envelope(0), 100);
      await log.bufferSealed([sealedTo(a), sealedTo(b)], 100);
      await log.markAway(a, 100);
      await log.forget(a);
      expect(await log.sealedFor(a, 100)).toEqual([]);
      expect(await log.isAway(a, 100)).toBe(false);
      expect(await log.sealedFor(b, 100)).toHaveLength(1);
      await log.dispose();
      expect(await log.sealedFor(b, 100)).toEqual([]);
      expect(await log.missedAfter(0, 100)).toEqual([]);
    });
  });
}

contract('memory', (l) => new MemorySessionLogs(l), 0);

let redis: RedisClient | undefined;
beforeAll(async () => {
  redis = await testRedis('The shared session log tests');
});
afterAll(async () => {
  if (redis) await dropKeysAndClose(redis, prefix);
});
contract('Redis', (l) => new RedisSessionLogs(redis!, prefix, l), REORDER_SLACK);

// Every key of a session shares its group's hash tag: the script, the MULTI and the dispose run on one shard.
let redisCluster: LocalRedisCluster | undefined;
let clusterClient: RedisClient | undefined;
beforeAll(async () => {
  redisCluster = await startRedisCluster();
  clusterClient = await connectRedis({ url: redisCluster.url, cluster: true }, () => undefined);
}, CLUSTER_HOOK_TIMEOUT_MS);
afterAll(async () => {
  await clusterClient?.close();
  await redisCluster?.stop();
});
contract('Redis Cluster', (l) => new RedisSessionLogs(clusterClient!, prefix, l), REORDER_SLACK);

function keysOf(name: string, client: () => RedisClient): void {
  describe(`session log: keys in ${name}`, () => {
    it('numbers a session once across every node, from the clock, and leaves nothing behind a disposed session', async () => {
      const [g, s] = [b64(16), b64(16)];
      const nodeA = new RedisSessionLogs(client(), prefix, limits).open(g, s);
      const nodeB = new RedisSessionLogs(client(), prefix, limits).open(g, s);
      const before = memorySeqBase(Date.now());
      const first = (await add(nodeA, envelope(0), 1)).seq;
      expect(first).toBeGreaterThan(before);
      expect((await add(nodeB, envelope(1), 1)).seq).toBe(first + 1);
      expect((await nodeA.missedAfter(first + REORDER_SLACK, 1)).map((m) => m.seq)).toEqual([first + 1]);
      await nodeB.bufferSealed([sealedTo('m')], 1);
      await nodeA.markAway('m', 1);
      expect(await nodeB.isAway('m', 1)).toBe(true);
      const base = `${prefix}s:{${g}}:${s}:`; // the group's hash tag: one Redis Cluster slot for all of them
      const keys = async (): Promise<string[]> => (await keysMatching(client(), `${base}*`)).sort();
      const sentKeys = 2; // one sent:<sender> list per sender (each test envelope has its own sender)
      expect((await keys()).filter((k) => !k.startsWith(`${base}sent:`))).toEqual([`${base}away:m`, `${base}buf`, `${base}bytes`, `${base}head`, `${base}sealed:m`, `${base}seq`]);
      expect((await keys()).filter((k) => k.startsWith(`${base}sent:`))).toHaveLength(sentKeys);
      // Redis lost the counter (a restart without persistence): the numbering goes on above what clients saw.
      await client().unlink(`${base}seq`);
      expect((await add(nodeB, envelope(2), 1)).seq).toBeGreaterThan(first + 1);
      await nodeB.dispose();
      // The head stays (until its TTL), so that a node that missed the close is refused rather than heard.
      expect(await keys()).toEqual([`${base}head`]);
      expect(await client().pTTL(`${base}head`)).toBeGreaterThan(0);
    });

    it('refuses a message judged against an older roster than the shared head, and the head only moves up', async () => {
      const [g, s] = [b64(16), b64(16)];
      const fresh = new RedisSessionLogs(client(), prefix, limits).open(g, s);
      const stale = new RedisSessionLogs(client(), prefix, limits).open(g, s);
      await add(stale, envelope(0), 1, { epoch: 3, head: 'h3' });
      // Another node stored epoch 4 and moved the head before answering its facilitator.
      await fresh.advanceHead({ epoch: 4, head: 'h4' });
      await fresh.advanceHead({ epoch: 2, head: 'h2' }); // late or repeated: no effect
      const before = await stale.currentSeq();
      expect(await stale.append(envelope(1), 2, { epoch: 3, head: 'h3' })).toEqual({ status: 'stale', epoch: 4 });
      // Same epoch, another hash: a node misled about its roster is refused as well.
      expect(await stale.append(envelope(1), 2, { epoch: 4, head: 'forged' })).toEqual({ status: 'stale', epoch: 4 });
      expect(await stale.currentSeq()).toBe(before); // nothing appended
      await add(stale, envelope(1), 2, { epoch: 4, head: 'h4' });
      // A node ahead of the head (its own entry, the head not yet moved) moves it up with its message.
      await add(fresh, envelope(2), 3, { epoch: 5, head: 'h5' });
      expect(await stale.append(envelope(3), 3, { epoch: 4, head: 'h4' })).toEqual({ status: 'stale', epoch: 5 });
    });
  });
}
keysOf('Redis', () => redis!);
keysOf('a Redis Cluster', () => clusterClient!);
