/**
 * The storage contract on the machine's PostgreSQL. Each run uses its own schema, dropped at the end, so parallel
 * runs never collide. PostgreSQL being down is a failure with a clear message, never a silent skip: the multi-node
 * deployment depends on this dialect.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isKindredError } from '@kindred/shared/errors';
import { dropSchema, requirePostgres, TEST_DATABASE_URL } from '../testServices';
import { createPostgresStorage } from './postgresStorage';
import { storageContract } from './storageContract';
import { fakeGenesis, fakeHash, fakeMemberId, fakeOpaqueId } from './storageFixtures';

const schema = `kindred_test_${process.pid}_${randomBytes(4).toString('hex')}`;

const requireIt = (): Promise<void> => requirePostgres('The PostgreSQL storage tests');

storageContract({
  name: `PostgreSQL (schema ${schema})`,
  async open() {
    await requireIt();
    const s = createPostgresStorage({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 4 });
    await s.migrate();
    return s;
  },
  cleanup: () => dropSchema(schema),
});

describe('PostgreSQL storage', () => {
  it('keeps its tables inside its own schema', async () => {
    await requireIt();
    const own = `${schema}_own`;
    const s = createPostgresStorage({ connectionString: TEST_DATABASE_URL, schema: own, maxConnections: 2 });
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await s.migrate();
      await s.migrate();
      const groupId = fakeOpaqueId();
      const creator = fakeMemberId();
      await s.createGroup({ groupId, creator, genesis: fakeGenesis(groupId, creator), genesisHash: fakeHash() });
      const r = await client.query<{ table_name: string }>(
        'select table_name from information_schema.tables where table_schema = $1 order by table_name',
        [own],
      );
      expect(r.rows.map((x) => x.table_name)).toEqual(['groups', 'invites', 'kysely_migration', 'kysely_migration_lock', 'roster_entries']);
      const count = await client.query<{ n: string }>(`select count(*) as n from "${own}".groups where group_id = $1`, [groupId]);
      expect(count.rows[0]?.n).toBe('1');
    } finally {
      await s.close();
      await client.query(`drop schema if exists "${own}" cascade`);
      await client.end();
    }
  });

  it('lets several nodes migrate a fresh schema at the same time', async () => {
    await requireIt();
    const fresh = `${schema}_race`;
    const nodes = [0, 1, 2].map(() => createPostgresStorage({ connectionString: TEST_DATABASE_URL, schema: fresh, maxConnections: 2 }));
    try {
      await Promise.all(nodes.map((n) => n.migrate()));
      const groupId = fakeOpaqueId();
      const creator = fakeMemberId();
      await nodes[0]?.createGroup({ groupId, creator, genesis: fakeGenesis(groupId, creator), genesisHash: fakeHash() });
      expect(await nodes[2]?.groupExists(groupId)).toBe(true);
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
      await dropSchema(fresh);
    }
  });

  it('refuses a schema name that could escape the search path', () => {
    let caught: unknown;
    try {
      createPostgresStorage({ connectionString: TEST_DATABASE_URL, schema: 'x; drop table groups' });
    } catch (e) {
      caught = e;
    }
    expect(isKindredError(caught, 'INTERNAL')).toBe(true);
  });
});
