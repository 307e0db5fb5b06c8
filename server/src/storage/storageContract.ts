/**
 * The behaviour every Storage must have, as one vitest suite that each dialect's test file runs against its own
 * storage. `open` returns a migrated storage over the same database each time it is called (so `reopen` is a
 * restart); `cleanup` runs once at the end.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isKindredError } from '@kindred/shared/errors';
import type { Storage } from './storage';
import { fakeCard, fakeEntry, fakeGenesis, fakeHash, fakeMemberId, fakeOpaqueId } from './storageFixtures';

export interface ContractTarget {
  name: string;
  open(): Promise<Storage>;
  cleanup?(): Promise<void>;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isKindredError(e) ? e.code : e).toBe(code);
}

export function storageContract(target: ContractTarget): void {
  describe(`Storage contract: ${target.name}`, () => {
    const opened: Storage[] = [];
    const open = async (): Promise<Storage> => {
      const s = await target.open();
      opened.push(s);
      return s;
    };
    afterAll(async () => {
      for (const s of opened) await s.close();
      await target.cleanup?.();
    });

    async function newGroup(s: Storage) {
      const groupId = fakeOpaqueId();
      const creator = fakeMemberId();
      const genesis = fakeGenesis(groupId, creator);
      const genesisHash = fakeHash();
      await s.createGroup({ groupId, creator, genesis, genesisHash });
      return { groupId, creator, genesis, genesisHash };
    }

    it('creates a group with its genesis entry, and migrate() is idempotent', async () => {
      const s = await open();
      await s.migrate();
      const { groupId, genesis } = await newGroup(s);
      expect(await s.groupExists(groupId)).toBe(true);
      expect(await s.groupExists(fakeOpaqueId())).toBe(false);
      expect(await s.getRosterEntries(groupId, -1)).toEqual([genesis]);
      expect(await s.getRosterEntries(groupId, 0)).toEqual([]);
      await s.ping();
    });

    it('refuses a second group with the same id (CONFLICT) and keeps the first genesis', async () => {
      const s = await open();
      const { groupId, genesis } = await newGroup(s);
      const other = fakeGenesis(groupId, fakeMemberId());
      await expectCode(s.createGroup({ groupId, creator: fakeMemberId(), genesis: other, genesisHash: fakeHash() }), 'CONFLICT');
      expect(await s.getRosterEntries(groupId, -1)).toEqual([genesis]);
    });

    it('appends entries, returns those after sinceEpoch in epoch order', async () => {
      const s = await open();
      const { groupId, creator, genesisHash } = await newGroup(s);
      const members = [fakeMemberId(), fakeMemberId(), fakeMemberId()];
      let prev = genesisHash;
      const appended = [];
      for (const [i, member] of members.entries()) {
        const entry = fakeEntry(groupId, i + 1, prev, { type: 'admit', member }, creator);
        prev = fakeHash();
        await s.appendRosterEntry({ groupId, epoch: i + 1, hash: prev, entry });
        appended.push(entry);
      }
      const all = await s.getRosterEntries(groupId, -1);
      expect(all.map((e) => e.body.epoch)).toEqual([0, 1, 2, 3]);
      expect(all.slice(1)).toEqual(appended);
      expect(await s.getRosterEntries(groupId, 2)).toEqual([appended[2]]);
      expect(await s.getRosterEntries(fakeOpaqueId(), -1)).toEqual([]);
    });

    it('lets exactly one of two concurrent appends at one epoch win (CONFLICT for the other)', async () => {
      const s = await open();
      const { groupId, creator, genesisHash } = await newGroup(s);
      const a = fakeEntry(groupId, 1, genesisHash, { type: 'admit', member: fakeMemberId() }, creator);
      const b = fakeEntry(groupId, 1, genesisHash, { type: 'ban', member: fakeMemberId() }, creator);
      const results = await Promise.allSettled([
        s.appendRosterEntry({ groupId, epoch: 1, hash: fakeHash(), entry: a }),
        s.appendRosterEntry({ groupId, epoch: 1, hash: fakeHash(), entry: b }),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected');
      expect(rejected?.status === 'rejected' && isKindredError(rejected.reason, 'CONFLICT')).toBe(true);
      const stored = await s.getRosterEntries(groupId, 0);
      expect(stored).toHaveLength(1);
      expect([a, b]).toContainEqual(stored[0]);
      // The genesis epoch is taken too.
      await expectCode(s.appendRosterEntry({ groupId, epoch: 0, hash: fakeHash(), entry: fakeGenesis(groupId, creator) }), 'CONFLICT');
    });

    it('refuses entries for a group that does not exist (NOT_FOUND) and entries stored under the wrong epoch', async () => {
      const s = await open();
      const groupId = fakeOpaqueId();
      const entry = fakeEntry(groupId, 1, fakeHash(), { type: 'lock', on: true }, fakeMemberId());
      await expectCode(s.appendRosterEntry({ groupId, epoch: 1, hash: fakeHash(), entry }), 'NOT_FOUND');
      const g = await newGroup(s);
      const mismatched = fakeEntry(g.groupId, 2, g.genesisHash, { type: 'lock', on: true }, g.creator);
      await expectCode(s.appendRosterEntry({ groupId: g.groupId, epoch: 1, hash: fakeHash(), entry: mismatched }), 'INTERNAL');
      expect(await s.getRosterEntries(g.groupId, 0)).toEqual([]);
    });

    it('stores, reads, replaces the card of and revokes invites', async () => {
      const s = await open();
      const { groupId, creator } = await newGroup(s);
      const inviteId = fakeOpaqueId();
      const card = fakeCard();
      const gateHash = fakeHash();
      expect(await s.getInvite(groupId, inviteId)).toBeUndefined();
      await s.putInvite({ groupId, inviteId, gateHash, card, createdBy: creator });
      expect(await s.getInvite(groupId, inviteId)).toEqual({ groupId, inviteId, gateHash, card, createdBy: creator, revoked: false });
      await expectCode(s.putInvite({ groupId, inviteId, gateHash: fakeHash(), card: fakeCard(), createdBy: creator }), 'CONFLICT');
      expect(await s.getInvite(fakeOpaqueId(), inviteId)).toBeUndefined();
      const newer = fakeCard();
      expect(await s.replaceInviteCard(groupId, inviteId, newer)).toBe(true);
      expect(await s.getInvite(groupId, inviteId)).toEqual({ groupId, inviteId, gateHash, card: newer, createdBy: creator, revoked: false });
      expect(await s.replaceInviteCard(groupId, fakeOpaqueId(), newer)).toBe(false);
      expect(await s.revokeInvite(groupId, inviteId)).toBe(true);
      expect(await s.replaceInviteCard(groupId, inviteId, card)).toBe(false); // a revoked invite keeps what it had
      expect((await s.getInvite(groupId, inviteId))?.card).toEqual(newer);
      expect(await s.revokeInvite(groupId, inviteId)).toBe(false);
      expect(await s.revokeInvite(groupId, fakeOpaqueId())).toBe(false);
      expect((await s.getInvite(groupId, inviteId))?.revoked).toBe(true);
      await expectCode(s.putInvite({ groupId: fakeOpaqueId(), inviteId, gateHash, card, createdBy: creator }), 'NOT_FOUND');
    });

    it('keeps everything across a restart (close, reopen)', async () => {
      const first = await open();
      const { groupId, creator, genesis, genesisHash } = await newGroup(first);
      const entry = fakeEntry(groupId, 1, genesisHash, { type: 'mute', member: fakeMemberId() }, creator);
      await first.appendRosterEntry({ groupId, epoch: 1, hash: fakeHash(), entry });
      const inviteId = fakeOpaqueId();
      const card = fakeCard();
      await first.putInvite({ groupId, inviteId, gateHash: fakeHash(), card, createdBy: creator });
      await first.revokeInvite(groupId, inviteId);
      await first.close();

      const second = await open();
      expect(await second.groupExists(groupId)).toBe(true);
      expect(await second.getRosterEntries(groupId, -1)).toEqual([genesis, entry]);
      const invite = await second.getInvite(groupId, inviteId);
      expect(invite?.card).toEqual(card);
      expect(invite?.revoked).toBe(true);
      await expectCode(second.appendRosterEntry({ groupId, epoch: 1, hash: fakeHash(), entry }), 'CONFLICT');
    });
  });
}
