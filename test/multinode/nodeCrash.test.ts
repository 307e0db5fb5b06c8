/**
 * A relay node that crashes (its process killed with SIGKILL: no disconnect handler, no goodbye to Redis) in the
 * middle of a session. Its member resumes on a surviving node with everything it missed; the survivors keep
 * answering (the adapter stops counting the dead node as soon as Redis sees its connections drop), and a roster
 * entry appended meanwhile is enforced on the node the member moved to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RelayedMessage } from '@kindred/shared/protocol';
import { OpenClients, type TestClient, TestGroup } from '../../server/src/relay/testHarness';
import { eachRedis, startCluster, type TestCluster } from './cluster';

let cluster: TestCluster | undefined;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await cluster?.close();
  cluster = undefined;
});

const at = (url: string, ik?: TestClient['ik']): Promise<TestClient> => clients.signedIn(url, ik);

eachRedis((redis) => describe('a relay node process that is killed', () => {
  it('leaves its members to resume on another node with nothing lost that has not expired', async () => {
    cluster = await startCluster(2, { realClock: true, redis: redis() });
    const child = await cluster.spawnNode();
    const fac = await at(cluster.nodes[0]!.url);
    const group = await TestGroup.create(fac);
    const m = await at(child.url);
    const other = await at(cluster.nodes[1]!.url);
    await group.admit(m);
    await group.admit(other);
    await group.openSession();
    for (const c of [fac, m, other]) expect(await group.enter(c)).toMatchObject({ ok: true, status: 'joined' });
    const first = group.envelope(fac, 'chat', 0);
    await fac.ok('message.send', { envelope: first });
    const s1 = (await m.next<RelayedMessage>('message')).seq;
    const fromM = group.envelope(m, 'chat', 0);
    await m.ok('message.send', { envelope: fromM });
    expect(await fac.next<RelayedMessage>('message', (r) => r.seq === s1 + 1)).toEqual({ seq: s1 + 1, envelope: fromM });

    await child.crash();
    const missed = [group.envelope(fac, 'chat', 1), group.envelope(other, 'chat', 0)];
    expect(await fac.ok('message.send', { envelope: missed[0] })).toMatchObject({ seq: s1 + 2 });
    expect(await other.ok('message.send', { envelope: missed[1] })).toMatchObject({ seq: s1 + 3 });
    // The facilitator mutes `other` while the dead node is gone: the survivors confirm, and it holds everywhere.
    await group.append({ type: 'mute', member: other.member });
    expect(await other.request('message.send', { envelope: group.envelope(other, 'chat', 1) })).toMatchObject({
      ok: false,
      error: { code: 'MUTED' },
    });

    const back = await at(cluster.nodes[1]!.url, m.ik);
    const enter = (await group.enter(back, { lastSeq: s1 + 1 })) as unknown as { ok: boolean; missed: RelayedMessage[]; present: { member: string }[] };
    expect(enter.ok).toBe(true);
    expect(enter.missed.filter((r) => r.seq > s1 + 1)).toEqual([
      { seq: s1 + 2, envelope: missed[0] },
      { seq: s1 + 3, envelope: missed[1] },
    ]);
    // The dead node's socket is no longer anyone's presence; the member is present once, through its new socket.
    expect(enter.present.map((p) => p.member).sort()).toEqual([fac.member, m.member, other.member].sort());
    const after = group.envelope(back, 'chat', 1);
    expect(await back.ok('message.send', { envelope: after })).toMatchObject({ seq: s1 + 4 });
    expect(await fac.next<RelayedMessage>('message', (r) => r.seq === s1 + 4)).toEqual({ seq: s1 + 4, envelope: after });
  });
}));
