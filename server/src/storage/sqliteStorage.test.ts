import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStorage, SQLITE_MEMORY } from './sqliteStorage';
import { storageContract } from './storageContract';
import { fakeGenesis, fakeHash, fakeMemberId, fakeOpaqueId } from './storageFixtures';

const dir = mkdtempSync(join(tmpdir(), 'kindred-sqlite-'));
const file = join(dir, 'nested', 'kindred.sqlite');

storageContract({
  name: 'SQLite (temporary file)',
  async open() {
    const s = createSqliteStorage(file);
    await s.migrate();
    return s;
  },
  async cleanup() {
    rmSync(dir, { recursive: true, force: true });
  },
});

describe('SQLite storage', () => {
  it('creates the data directory and uses WAL', async () => {
    const d = mkdtempSync(join(tmpdir(), 'kindred-sqlite-wal-'));
    try {
      const s = createSqliteStorage(join(d, 'sub', 'db.sqlite'));
      await s.migrate();
      const groupId = fakeOpaqueId();
      const creator = fakeMemberId();
      await s.createGroup({ groupId, creator, genesis: fakeGenesis(groupId, creator), genesisHash: fakeHash() });
      expect(existsSync(join(d, 'sub', 'db.sqlite-wal'))).toBe(true);
      await s.close();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('works in memory', async () => {
    const s = createSqliteStorage(SQLITE_MEMORY);
    await s.migrate();
    const groupId = fakeOpaqueId();
    const creator = fakeMemberId();
    await s.createGroup({ groupId, creator, genesis: fakeGenesis(groupId, creator), genesisHash: fakeHash() });
    expect(await s.groupExists(groupId)).toBe(true);
    await s.close();
    await s.close(); // closing twice is harmless
  });
});
