/**
 * One node's bookkeeping of groups and sessions: the kindred_sessions_live gauge follows sessions opening and
 * closing, and the idle sweep unloads a group nobody uses (no socket, no live session) after IDLE_GROUP_MS, never
 * one still in use.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { OpenClients, type TestClient, TestGroup, b64, startRelay, type RelayUnderTest } from './testHarness';
import { IDLE_GROUP_MS } from './index';

let relay: RelayUnderTest;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await relay.close();
});
const client = (): Promise<TestClient> => clients.signedIn(relay.url);

async function sessionsLive(): Promise<number> {
  const metric = await relay.app.metrics.registry.getSingleMetric('kindred_sessions_live')?.get();
  return metric?.values[0]?.value ?? Number.NaN;
}

/** Resolves once the relay has seen the socket's disconnect (its rooms are gone). */
async function closed(c: TestClient): Promise<void> {
  const id = c.socket.id;
  c.close();
  while (relay.app.io.sockets.sockets.has(id ?? '')) await new Promise((r) => setImmediate(r));
}

describe('live sessions gauge', () => {
  it('counts a session from its open entry to its close entry', async () => {
    relay = await startRelay();
    const fac = await client();
    const group = await TestGroup.create(fac);
    expect(await sessionsLive()).toBe(0);
    await group.openSession();
    expect(await sessionsLive()).toBe(1);
    await group.append({ type: 'sessionClose', sessionId: group.sessionId });
    expect(await sessionsLive()).toBe(0);
  });
});

describe('idle group sweep', () => {
  it('unloads a group with no socket and no live session, only after the idle time, and reloads it on use', async () => {
    relay = await startRelay();
    const fac = await client();
    const group = await TestGroup.create(fac);
    const { groups } = relay.app.relay;
    expect(relay.app.relay.sweepIdleGroups()).toBe(0); // its creator still follows it
    await closed(fac);
    expect(relay.app.relay.sweepIdleGroups()).toBe(0); // idle from now on
    relay.clock.now += IDLE_GROUP_MS - 1;
    expect(relay.app.relay.sweepIdleGroups()).toBe(0);
    relay.clock.now += 1;
    expect(relay.app.relay.sweepIdleGroups()).toBe(1);
    expect(groups.peek(group.groupId)).toBeUndefined();

    // Rebuilt from storage on next use, chain intact.
    const back = await clients.signedIn(relay.url, fac.ik);
    expect(await back.ok('roster.get', { groupId: group.groupId, sinceEpoch: -1 })).toMatchObject({ entries: [expect.anything()] });
    expect(groups.peek(group.groupId)?.roster.epoch).toBe(0);
  });

  it('keeps a group whose session is open on this node (its seq and buffers live here), even with nobody in it', async () => {
    relay = await startRelay();
    const fac = await client();
    const group = await TestGroup.create(fac);
    await group.openSession();
    await closed(fac);
    relay.app.relay.sweepIdleGroups();
    relay.clock.now += 2 * IDLE_GROUP_MS;
    expect(relay.app.relay.sweepIdleGroups()).toBe(0);
    expect(relay.app.relay.groups.peek(group.groupId)?.session?.id).toBe(group.sessionId);
    expect(await sessionsLive()).toBe(1);
  });

  it('starts the idle time over when the group is used in between', async () => {
    relay = await startRelay();
    const fac = await client();
    const group = await TestGroup.create(fac);
    await closed(fac);
    relay.app.relay.sweepIdleGroups();
    relay.clock.now += IDLE_GROUP_MS - 1;
    // Someone opens an invite link (reads the group) without joining its rooms.
    const stranger = await client();
    expect(await stranger.request('invite.open', { groupId: group.groupId, inviteId: b64(16), gateToken: b64(32) })).toMatchObject({
      ok: false,
      error: { code: 'INVITE_INVALID' },
    });
    relay.clock.now += 1;
    expect(relay.app.relay.sweepIdleGroups()).toBe(0);
    relay.clock.now += IDLE_GROUP_MS;
    expect(relay.app.relay.sweepIdleGroups()).toBe(1);
  });
});
