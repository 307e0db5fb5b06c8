/**
 * Three relay nodes sharing PostgreSQL and Redis, with members connected to different nodes: chat, presence and the
 * waiting room across nodes (a member promoted on one node sees a knock waiting on another); a mute, a removal and a lock enforced on every node by the time the facilitator's
 * request is answered; a node that dies mid-session, its members resuming on another node with nothing lost.
 * Clients are the relay harness's TestClient (real signed objects over socket.io-client).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Knock, RelayedMessage, SealedSenderKey } from '@kindred/shared/protocol';
import { OpenClients, type TestClient, TestGroup, b64 } from '../../server/src/relay/testHarness';
import type { RedisTarget } from '../../server/src/redisClient';
import { SEQ_TTL_MS } from '../../server/src/relay/redisSessionLog';
import { eachRedis, startCluster, type TestCluster } from './cluster';

let cluster: TestCluster | undefined;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await cluster?.close();
  cluster = undefined;
});

const on = (node: number, ik?: TestClient['ik']): Promise<TestClient> => clients.signedIn(cluster!.nodes[node]!.url, ik);

function sealed(group: TestGroup, from: TestClient, to: TestClient): SealedSenderKey {
  return { v: 2, groupId: group.groupId, sessionId: group.sessionId, from: from.member, to: to.member, keyId: b64(16), nonce: b64(24), box: b64(80) };
}

type Enter = { ok: true; status: string; present: { member: string }[]; missed: RelayedMessage[]; sealed: SealedSenderKey[]; waiting: Knock[] };

/** A facilitator on node 0, and one admitted member on each of `memberNodes`, all in the open session. */
async function session(redis: RedisTarget, memberNodes: number[]): Promise<{ group: TestGroup; fac: TestClient; members: TestClient[] }> {
  cluster = await startCluster(3, { redis });
  const fac = await on(0);
  const group = await TestGroup.create(fac);
  const members: TestClient[] = [];
  for (const n of memberNodes) {
    const m = await on(n);
    await group.admit(m);
    members.push(m);
  }
  await group.openSession();
  for (const c of [fac, ...members]) expect(await group.enter(c)).toMatchObject({ ok: true, status: 'joined' });
  return { group, fac, members };
}

eachRedis((redis) => describe('several relay nodes', () => {
  it('lets members on different nodes chat, with one seq per session and presence across nodes', async () => {
    const { group, fac, members } = await session(redis(), [1, 2]);
    const [a, b] = members as [TestClient, TestClient];
    // b entered last, on node 2: it was told about the facilitator (node 0) and a (node 1).
    const late = await on(2, b.ik);
    const enter = (await group.enter(late)) as unknown as Enter;
    expect(enter.present.map((p) => p.member).sort()).toEqual([fac.member, a.member, b.member].sort());
    expect(await fac.next<{ member: string; present: boolean }>('session.member', (p) => p.member === b.member && p.present)).toBeTruthy();

    const fromFac = group.envelope(fac, 'chat', 0);
    const first = await fac.ok('message.send', { envelope: fromFac });
    const fromA = group.envelope(a, 'chat', 0);
    const second = await a.ok('message.send', { envelope: fromA });
    const s1 = first.seq as number;
    expect(second.seq).toBe(s1 + 1); // one numbering for the session, whichever node relays
    for (const c of [fac, a, b]) {
      expect(await c.next<RelayedMessage>('message', (m) => m.seq === s1)).toEqual({ seq: s1, envelope: fromFac });
      expect(await c.next<RelayedMessage>('message', (m) => m.seq === s1 + 1)).toEqual({ seq: s1 + 1, envelope: fromA });
    }
    // Sealed keys and direct boxes reach a member on another node, and only that member.
    const toB = sealed(group, fac, b);
    await fac.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [toB] });
    expect(await b.next('keys.sealed')).toEqual({ sealed: [toB] });
    const box = { v: 1, groupId: group.groupId, sessionId: group.sessionId, from: a.member, to: fac.member, nonce: b64(24), box: b64(64) };
    await a.ok('direct.send', { box });
    expect(await fac.next('direct')).toEqual({ box });
    expect(a.received('keys.sealed')).toEqual([]);
    // Each node counts the live session it has loaded.
    const live = await Promise.all(cluster!.nodes.map(async (n) => (await n.app.metrics.registry.getSingleMetric('kindred_sessions_live')?.get())?.values[0]?.value));
    expect(live).toEqual([1, 1, 1]);
  });

  it('enforces a mute, a removal and a lock on every node before the facilitator is answered', async () => {
    const { group, fac, members } = await session(redis(), [1, 2]);
    const [a, b] = members as [TestClient, TestClient];

    await group.append({ type: 'mute', member: a.member });
    expect(await a.request('message.send', { envelope: group.envelope(a) })).toMatchObject({ ok: false, error: { code: 'MUTED' } });
    await group.append({ type: 'unmute', member: a.member });
    expect(await a.request('message.send', { envelope: group.envelope(a) })).toMatchObject({ ok: true });

    await group.append({ type: 'remove', member: b.member });
    expect(await b.next('session.closed')).toMatchObject({ groupId: group.groupId, reason: 'removed' });
    expect(await b.request('message.send', { envelope: group.envelope(b) })).toMatchObject({ ok: false });
    await fac.ok('message.send', { envelope: group.envelope(fac) });
    await a.next<RelayedMessage>('message', (m) => m.envelope.header.sender === fac.member);
    expect(b.received('message').filter((m) => (m as RelayedMessage).envelope.header.sender === fac.member)).toEqual([]);
    const again = await on(1, b.ik);
    expect(await group.enter(again)).toMatchObject({ ok: false, error: { code: 'NOT_MEMBER' } });

    // The waiting room across nodes: a knock on node 2 reaches the facilitator on node 0, and the admit moves it in.
    const { inviteId, gateToken } = await group.invite();
    const guest = await on(2);
    await guest.ok('invite.open', { groupId: group.groupId, inviteId, gateToken });
    const waiting = (await group.enter(guest, { inviteId, gateToken })) as unknown as Enter;
    expect(waiting.status).toBe('waiting');
    // The knocker hears of the facilitator present on node 0 (for its introduction), not of the member on node 1.
    expect(waiting.present.map((p) => p.member)).toEqual([fac.member]);
    expect(await fac.next<Knock>('session.knock')).toMatchObject({ member: guest.member });
    const latecomerFac = await on(1, fac.ik);
    expect(((await group.enter(latecomerFac)) as unknown as Enter).waiting.map((k) => k.member)).toEqual([guest.member]);
    // A facilitator arriving on node 1 is told to the waiting room on node 2.
    expect(await guest.next<{ member: string }>('session.member', (p) => p.member === fac.member)).toMatchObject({ present: true });
    // A member made facilitator on node 1 gets the knock waiting on node 2, after the entry that promotes it.
    expect(a.received('session.knock')).toEqual([]);
    const promote = await group.append({ type: 'role', member: a.member, role: 'facilitator' });
    expect(await a.next<Knock>('session.knock')).toMatchObject({ member: guest.member });
    const promotedAt = a.pushes.findIndex((p) => p.event === 'roster.entry' && JSON.stringify((p.payload as { entry: unknown }).entry) === JSON.stringify(promote));
    expect(promotedAt).toBeGreaterThanOrEqual(0);
    expect(promotedAt).toBeLessThan(a.pushes.findIndex((p) => p.event === 'session.knock'));
    // And the waiting room on node 2 hears of the new facilitator.
    expect(await guest.next<{ member: string }>('session.member', (p) => p.member === a.member)).toMatchObject({ present: true });
    await group.append({ type: 'admit', member: guest.member });
    expect(await guest.next<{ member: string }>('session.member', (p) => p.member === fac.member)).toMatchObject({ present: true });
    expect(await guest.ok('message.send', { envelope: group.envelope(guest) })).toMatchObject({ ok: true });

    await group.append({ type: 'lock', on: true });
    const stranger = await on(1);
    await stranger.ok('invite.open', { groupId: group.groupId, inviteId, gateToken });
    expect(await group.enter(stranger, { inviteId, gateToken })).toMatchObject({ ok: false, error: { code: 'SESSION_LOCKED' } });
  });

  it('keeps a session going when a node dies: its members resume on another node with what they missed', async () => {
    const { group, fac, members } = await session(redis(), [1]);
    const [m] = members as [TestClient];
    const before = group.envelope(fac, 'chat', 0);
    await fac.ok('message.send', { envelope: before });
    const seen = (await m.next<RelayedMessage>('message')).seq;

    await cluster!.nodes[1]!.kill();
    await new Promise<void>((resolve) => (m.socket.connected ? m.socket.once('disconnect', () => resolve()) : resolve()));
    const missed = [group.envelope(fac, 'chat', 1), group.envelope(fac, 'chat', 2)];
    for (const envelope of missed) await fac.ok('message.send', { envelope });
    // m went away less than the buffer TTL ago: it is still a recipient of sender keys, buffered for its return.
    const key = sealed(group, fac, m);
    await fac.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [key] });

    const back = await on(2, m.ik);
    const enter = (await group.enter(back, { lastSeq: seen })) as unknown as Enter;
    expect(enter).toMatchObject({ ok: true, status: 'joined' });
    // A shared log may repeat a few messages before lastSeq (clients drop replays); after it, exactly what was missed.
    expect(enter.missed.filter((r) => r.seq > seen)).toEqual([
      { seq: seen + 1, envelope: missed[0] },
      { seq: seen + 2, envelope: missed[1] },
    ]);
    expect(enter.sealed).toEqual([key]);
    expect(enter.present.map((p) => p.member).sort()).toEqual([fac.member, m.member].sort());

    // The session goes on between the survivors.
    const after = group.envelope(back, 'chat', 0);
    expect(await back.ok('message.send', { envelope: after })).toMatchObject({ seq: seen + 3 });
    expect(await fac.next<RelayedMessage>('message', (r) => r.seq === seen + 3)).toEqual({ seq: seen + 3, envelope: after });

    // What has expired is gone, on every node.
    cluster!.clock.now += 121_000; // default buffer TTL: 120 s
    const later = await on(0, m.ik);
    expect(await group.enter(later, { lastSeq: 0 })).toMatchObject({ ok: true, missed: [], sealed: [] });
  });

  it('ends a session everywhere and drops its shared buffers (keeping only its roster head)', async () => {
    const { group, members } = await session(redis(), [1, 2]);
    const [a, b] = members as [TestClient, TestClient];
    await a.ok('message.send', { envelope: group.envelope(a) });
    // Every key of the session carries its group's hash tag (one Redis Cluster slot).
    const keysOfSession = async (): Promise<string[]> => (await cluster!.redisKeys()).filter((k) => k.includes(`{${group.groupId}}:${group.sessionId}:`));
    expect((await keysOfSession()).length).toBeGreaterThan(0);
    await group.append({ type: 'sessionClose', sessionId: group.sessionId });
    for (const c of [a, b]) expect(await c.next('session.closed')).toMatchObject({ reason: 'ended' });
    // Only the roster head stays, until its TTL: a node that missed the close is refused by it, not heard.
    expect((await keysOfSession()).map((k) => k.slice(k.lastIndexOf(':') + 1))).toEqual(['head']);
  });

  it('leaves nothing in Redis that outlives its TTL once every node has stopped', async () => {
    const { group, fac, members } = await session(redis(), [1, 2]);
    const [a, b] = members as [TestClient, TestClient];
    for (let i = 0; i < 20; i++) await fac.ok('message.send', { envelope: group.envelope(fac, 'chat', i) });
    await a.ok('message.send', { envelope: group.envelope(a) });
    // b goes away: it stays a recipient of sender keys for the buffer TTL, which are kept for its return.
    const base = `${cluster!.prefix}s:{${group.groupId}}:${group.sessionId}:`;
    b.socket.disconnect();
    while (!(await cluster!.redisKeys()).includes(`${base}away:${b.member}`)) await new Promise((r) => setTimeout(r, 20));
    await fac.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [sealed(group, fac, b)] });

    for (const node of cluster!.nodes) await node.kill();
    const ttls = await cluster!.redisTtls();
    expect([...ttls.keys()]).toEqual(expect.arrayContaining([`${base}seq`, `${base}buf`, `${base}bytes`, `${base}sealed:${b.member}`, `${base}away:${b.member}`]));
    // The adapter keeps nothing (sharded pub/sub stores nothing); every key left expires on its own: what holds
    // ciphertext or presence within the buffer TTL; the bare seq counter, the roster head and the senders' last
    // send ids (opaque) within SEQ_TTL_MS.
    expect([...ttls.keys()].filter((k) => k.startsWith(`${cluster!.prefix}sio`))).toEqual([]);
    const bufferTtlMs = 120_000; // the default
    for (const [key, ttl] of ttls) {
      expect(ttl, key).toBeGreaterThan(0);
      const counters = key === `${base}seq` || key === `${base}head` || key.startsWith(`${base}sent:`);
      expect(ttl, key).toBeLessThanOrEqual(counters ? SEQ_TTL_MS : bufferTtlMs);
    }
  });
}));
