import { beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import {
  applyRosterEntry,
  createGenesis,
  generateIdentity,
  initCrypto,
  memberIdOf,
  rosterEntryHash,
  signRosterEntry,
  type RosterState,
} from '@kindred/shared/crypto';
import type { RosterOp, SignedRosterEntry } from '@kindred/shared/protocol';
import { createSqliteStorage, SQLITE_MEMORY } from '../storage/sqliteStorage';
import type { KyselyStorage } from '../storage/kyselyStorage';
import { GroupRegistry } from './groupState';
import { ReconnectBuffer } from './reconnectBuffer';
import { b64, defaultPolicy } from './testHarness';

const limits = { ttlMs: 1000, maxItems: 3, maxBytes: 1024 * 1024 };
let storage: KyselyStorage;
beforeAll(initCrypto);
beforeEach(async () => {
  storage = createSqliteStorage(SQLITE_MEMORY);
  await storage.migrate();
});
afterEach(() => storage.close());

const fac = () => generateIdentity();

async function seed(ik = fac()): Promise<{ groupId: string; state: RosterState; append: (op: RosterOp) => Promise<SignedRosterEntry> }> {
  const groupId = b64(16);
  const genesis = createGenesis(ik, groupId, defaultPolicy);
  await storage.createGroup({ groupId, creator: memberIdOf(ik.publicKey), genesis, genesisHash: rosterEntryHash(genesis) });
  const ctx = {
    groupId,
    state: applyRosterEntry(null, genesis),
    async append(op: RosterOp) {
      const entry = signRosterEntry(ctx.state, op, ik);
      ctx.state = applyRosterEntry(ctx.state, entry);
      await storage.appendRosterEntry({ groupId, epoch: entry.body.epoch, hash: ctx.state.head, entry });
      return entry;
    },
  };
  return ctx;
}

describe('GroupRegistry', () => {
  it('rebuilds a group from storage, verifying the chain, and follows its open session', async () => {
    const g = await seed();
    await g.append({ type: 'slowMode', seconds: 4 });
    const sessionId = b64(16);
    await g.append({ type: 'sessionOpen', sessionId });
    const registry = new GroupRegistry(storage, limits);
    const [a, b] = await Promise.all([registry.get(g.groupId), registry.get(g.groupId)]);
    expect(a).toBe(b); // one load for concurrent first uses
    expect(a!.roster.policy.slowModeSeconds).toBe(4);
    expect(a!.session?.id).toBe(sessionId);
    expect(a!.openSession(sessionId)).not.toBeNull();
    await expect(registry.get(b64(16))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('names, from the chain, who left the roster since the session opened: also on a node that loads it later', async () => {
    const g = await seed();
    const [before, gone, back, stays] = [fac(), fac(), fac(), fac()].map((k) => memberIdOf(k.publicKey)) as [string, string, string, string];
    for (const m of [before, gone, back, stays]) await g.append({ type: 'admit', member: m });
    await g.append({ type: 'remove', member: before }); // before the session: not this session's concern
    await g.append({ type: 'sessionOpen', sessionId: b64(16) });
    await g.append({ type: 'remove', member: gone });
    await g.append({ type: 'ban', member: back });
    const room = (m: string) => `mem:${g.groupId}:${m}`;
    // A node that loads the group only now (a reconnect, a restart, after the idle sweep) knows it at once.
    const late = await new GroupRegistry(storage, limits).get(g.groupId);
    expect(late.departedRooms().sort()).toEqual([room(gone), room(back)].sort());
    expect(late.departedRooms()).toBe(late.departedRooms()); // cached until the next entry
    // Admitted again in this session: receives again.
    await g.append({ type: 'unban', member: back });
    await g.append({ type: 'admit', member: back });
    const again = await new GroupRegistry(storage, limits).get(g.groupId);
    expect(again.departedRooms()).toEqual([room(gone)]);
    // The next session starts with nobody excepted.
    await g.append({ type: 'sessionClose', sessionId: again.session!.id });
    await g.append({ type: 'sessionOpen', sessionId: b64(16) });
    expect((await new GroupRegistry(storage, limits).get(g.groupId)).departedRooms()).toEqual([]);
  });

  it('refuses a stored chain that does not verify', async () => {
    const ik = fac();
    const g = await seed(ik);
    const mallory = generateIdentity();
    // An entry written straight into storage, signed by someone without authority (a tampered database).
    const forged = signRosterEntry({ ...g.state, members: [...g.state.members, { id: memberIdOf(mallory.publicKey), role: 'facilitator', muted: false }] }, { type: 'lock', on: true }, mallory);
    await storage.appendRosterEntry({ groupId: g.groupId, epoch: 1, hash: b64(32), entry: forged });
    await expect(new GroupRegistry(storage, limits).get(g.groupId)).rejects.toMatchObject({ code: 'ROSTER_BAD_SIGNER' });
  });

  it('refreshRoster reads what another node appended after the known epoch', async () => {
    const g = await seed();
    const registry = new GroupRegistry(storage, limits);
    const group = await registry.get(g.groupId);
    const sessionId = b64(16);
    const e1 = await g.append({ type: 'lock', on: true });
    const e2 = await g.append({ type: 'sessionOpen', sessionId });
    expect(group.roster.epoch).toBe(0);
    expect(await registry.refreshRoster(group)).toEqual([e1, e2]);
    expect(group.roster.locked).toBe(true);
    expect(group.syncSession().opened?.id).toBe(sessionId);
    expect(await registry.refreshRoster(group)).toEqual([]);
  });
});

describe('ReconnectBuffer', () => {
  it('keeps at most maxItems, and nothing older than the TTL', () => {
    const buf = new ReconnectBuffer<number>(1000, 3);
    for (let i = 1; i <= 5; i++) buf.push(i, i);
    expect(buf.read(5)).toEqual([3, 4, 5]);
    expect(buf.read(1003, (n) => n > 3)).toEqual([4, 5]);
    expect(buf.read(1005)).toEqual([5]);
    expect(buf.read(2006)).toEqual([]);
    expect(buf.size).toBe(0);
  });

  it('stays exact over many pushes past its bound (the head index and compaction)', () => {
    const buf = new ReconnectBuffer<number>(50, 100);
    for (let i = 1; i <= 10_000; i++) {
      buf.push(i, i);
      // Both bounds: the last 100 pushes, and of those only the ones at most 50 ms old.
      const oldest = Math.max(i - 99, i - 50);
      if (i % 997 === 0) expect(buf.read(i)).toEqual(Array.from({ length: i - oldest + 1 }, (_, k) => oldest + k));
    }
    expect(buf.size).toBe(51);
    expect(buf.read(10_000, (n) => n % 10 === 0)).toEqual([9950, 9960, 9970, 9980, 9990, 10_000]);
    expect(buf.read(20_000)).toEqual([]);
  });
});
