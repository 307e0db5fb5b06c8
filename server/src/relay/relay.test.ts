import { afterEach, describe, expect, it } from 'vitest';
import type { RelayedMessage, SealedSenderKey } from '@kindred/shared/protocol';
import { OpenClients, type TestClient, TestGroup, b64, defaultPolicy, startRelay, type RelayUnderTest } from './testHarness';

let relay: RelayUnderTest;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await relay.close();
});
const client = (ik?: TestClient['ik']): Promise<TestClient> => clients.signedIn(relay.url, ik);

async function setup(n: number, policy = defaultPolicy, extra: Parameters<typeof startRelay>[2] = {}): Promise<{ group: TestGroup; fac: TestClient; members: TestClient[] }> {
  relay = await startRelay({}, undefined, extra);
  const fac = await client();
  const group = await TestGroup.create(fac, policy);
  const members: TestClient[] = [];
  for (let i = 0; i < n; i++) {
    const m = await client();
    await group.admit(m);
    members.push(m);
  }
  await group.openSession();
  for (const c of [fac, ...members]) expect(await group.enter(c)).toMatchObject({ ok: true, status: 'joined' });
  return { group, fac, members };
}

function sealed(group: TestGroup, from: TestClient, to: TestClient): SealedSenderKey {
  return { v: 2, groupId: group.groupId, sessionId: group.sessionId, from: from.member, to: to.member, keyId: b64(16), nonce: b64(24), box: b64(80) };
}

describe('message.send', () => {
  it('relays to the whole session with increasing seqs and counts the bytes', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    const env = group.envelope(m);
    const first = (await m.request('message.send', { envelope: env })) as { ok: true; seq: number };
    expect(first).toEqual({ ok: true, seq: expect.any(Number) });
    expect(await fac.next('message')).toEqual({ seq: first.seq, envelope: env });
    expect(await m.request('message.send', { envelope: group.envelope(fac) })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await fac.request('message.send', { envelope: group.envelope(fac) })).toMatchObject({ ok: true, seq: first.seq + 1 });
    expect(relay.relayed).toHaveLength(2);
    expect(relay.relayed[0]).toBeGreaterThan(100);
  });

  it('sends nothing to a member removed in this session, and everything again once it is admitted again', async () => {
    const { group, fac, members } = await setup(2);
    const [gone, stays] = members as [TestClient, TestClient];
    await group.append({ type: 'remove', member: gone.member });
    await gone.next('session.closed');
    const after = group.envelope(fac, 'chat', 1);
    expect(await fac.request('message.send', { envelope: after })).toMatchObject({ ok: true });
    await stays.next('message', (m: RelayedMessage) => m.envelope.header.counter === 1);
    expect(gone.received('message')).toEqual([]);
    await group.admit(gone);
    expect(await group.enter(gone)).toMatchObject({ ok: true, status: 'joined' });
    const back = group.envelope(fac, 'chat', 2);
    expect(await fac.request('message.send', { envelope: back })).toMatchObject({ ok: true });
    expect((await gone.next('message', (m: RelayedMessage) => m.envelope.header.counter === 2)).envelope).toEqual(back);
  });

  it('refuses a muted member, and members under mute-all, but not facilitators', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    await group.append({ type: 'mute', member: m.member });
    expect(await m.request('message.send', { envelope: group.envelope(m) })).toMatchObject({ error: { code: 'MUTED' } });
    await group.append({ type: 'unmute', member: m.member });
    expect(await m.request('message.send', { envelope: group.envelope(m) })).toMatchObject({ ok: true });
    await group.append({ type: 'muteAll', on: true });
    expect(await m.request('message.send', { envelope: group.envelope(m, 'signal') })).toMatchObject({ error: { code: 'MUTED' } });
    expect(await fac.request('message.send', { envelope: group.envelope(fac) })).toMatchObject({ ok: true });
    expect(relay.refused.filter((c) => c === 'MUTED')).toHaveLength(2);
  });

  it('paces members in slow mode, not facilitators nor signals', async () => {
    const { group, fac, members } = await setup(1, { ...defaultPolicy, slowModeSeconds: 10 });
    const m = members[0]!;
    expect(await m.request('message.send', { envelope: group.envelope(m) })).toMatchObject({ ok: true });
    expect(await m.request('message.send', { envelope: group.envelope(m, 'chat', 1) })).toMatchObject({ error: { code: 'SLOW_MODE' } });
    expect(await m.request('message.send', { envelope: group.envelope(m, 'signal', 2) })).toMatchObject({ ok: true });
    expect(await fac.request('message.send', { envelope: group.envelope(fac) })).toMatchObject({ ok: true });
    expect(await fac.request('message.send', { envelope: group.envelope(fac, 'chat', 1) })).toMatchObject({ ok: true });
    relay.clock.now += 9_999;
    expect(await m.request('message.send', { envelope: group.envelope(m, 'chat', 3) })).toMatchObject({ error: { code: 'SLOW_MODE' } });
    relay.clock.now += 1;
    expect(await m.request('message.send', { envelope: group.envelope(m, 'chat', 3) })).toMatchObject({ ok: true });
  });

  it('lets a reconnecting member resume with lastSeq: missed messages and the sealed keys sent while away', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    const { seq: seen } = (await fac.ok('message.send', { envelope: group.envelope(fac, 'chat', 0) })) as { seq: number };
    await m.next('message');
    m.close();
    await fac.next<{ member: string; present: boolean }>('session.member', (p) => p.member === m.member && !p.present);
    const away = [group.envelope(fac, 'chat', 1), group.envelope(fac, 'chat', 2)];
    for (const envelope of away) await fac.ok('message.send', { envelope });
    const key = sealed(group, fac, m);
    await fac.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [key] });

    const back = await client(m.ik);
    const ack = (await group.enter(back, { lastSeq: seen })) as unknown as { missed: RelayedMessage[]; sealed: SealedSenderKey[] };
    expect(ack.missed).toEqual([
      { seq: seen + 1, envelope: away[0] },
      { seq: seen + 2, envelope: away[1] },
    ]);
    expect(ack.sealed).toEqual([key]);
    // without lastSeq nothing is replayed
    const third = await client(m.ik);
    expect(await group.enter(third)).toMatchObject({ missed: [] });
  });

  it('forgets the buffer after its TTL', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    m.close();
    await fac.next<{ member: string; present: boolean }>('session.member', (p) => p.member === m.member && !p.present);
    await fac.ok('message.send', { envelope: group.envelope(fac) });
    relay.clock.now += 121_000; // default buffer TTL: 120 s
    const back = await client(m.ik);
    expect(await group.enter(back, { lastSeq: 0 })).toMatchObject({ ok: true, missed: [] });
  });
});

describe('keys.distribute and direct.send', () => {
  it('coalesces sealed keys per recipient until the turn ends, and flushes them before any message', async () => {
    // Hold the end-of-turn flush, so that only what the relay does itself can send the keys.
    const held: (() => void)[] = [];
    const { group, fac, members } = await setup(2, defaultPolicy, { deferSealedFlush: (flush) => void held.push(flush) });
    const [a, b] = members as [TestClient, TestClient];
    const fromA = sealed(group, a, fac);
    const fromB = sealed(group, b, fac);
    await a.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [fromA] });
    await b.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [fromB] });
    expect(held).toHaveLength(1); // one flush scheduled for both requests
    await a.ok('message.send', { envelope: group.envelope(a) });
    await fac.next('message');
    const order = fac.pushes.filter((p) => p.event === 'keys.sealed' || p.event === 'message');
    // Both keys in one push, before the message that may be encrypted under them.
    expect(order.map((p) => p.event)).toEqual(['keys.sealed', 'message']);
    expect(order[0]!.payload).toEqual({ sealed: [fromA, fromB] });
    held.shift()!(); // the scheduled flush finds nothing left
    await b.ok('message.send', { envelope: group.envelope(b) });
    await fac.next('message', (m: RelayedMessage) => m.envelope.header.sender === b.member);
    expect(fac.received('keys.sealed')).toHaveLength(1);
  });

  it('forwards each sealed key to its recipient only', async () => {
    const { group, fac, members } = await setup(2);
    const [a, b] = members as [TestClient, TestClient];
    const toA = sealed(group, fac, a);
    await fac.ok('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [toA] });
    expect(await a.next('keys.sealed')).toEqual({ sealed: [toA] });
    await fac.ok('message.send', { envelope: group.envelope(fac) });
    await b.next('message'); // b has seen what came after, and no sealed key
    expect(b.received('keys.sealed')).toEqual([]);
    expect(await fac.request('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [sealed(group, a, b)] })).toMatchObject({
      error: { code: 'FORBIDDEN' },
    });
    const stranger = await client();
    // Refused per recipient: the stranger's key goes nowhere, and a's, in the same request, is delivered.
    const toA2 = sealed(group, fac, a);
    expect(await fac.request('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [sealed(group, fac, stranger), toA2] })).toEqual({
      ok: true,
      recipients: [
        { to: stranger.member, outcome: 'refused', code: 'NOT_MEMBER' },
        { to: a.member, outcome: 'delivered' },
      ],
    });
    expect(await a.next('keys.sealed', (p: { sealed: { keyId: string }[] }) => p.sealed.some((k) => k.keyId === toA2.keyId))).toEqual({ sealed: [toA2] });
    expect(stranger.received('keys.sealed')).toEqual([]);
    expect(await stranger.request('keys.distribute', { groupId: group.groupId, sessionId: group.sessionId, sealed: [sealed(group, stranger, a)] })).toMatchObject({
      ok: false,
    });
  });

  it('sends a direct box to a present facilitator only', async () => {
    const { group, fac, members } = await setup(2);
    const [a, b] = members as [TestClient, TestClient];
    const box = { v: 1, groupId: group.groupId, sessionId: group.sessionId, from: a.member, to: fac.member, nonce: b64(24), box: b64(100) };
    await a.ok('direct.send', { box });
    expect(await fac.next('direct')).toEqual({ box });
    expect(await a.request('direct.send', { box: { ...box, to: b.member } })).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });
    expect(await b.request('direct.send', { box })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    await fac.ok('message.send', { envelope: group.envelope(fac) });
    await b.next('message');
    expect(b.received('direct')).toEqual([]);
  });

  it('carries a facilitator\'s box back to a present member (a read receipt), and nobody else\'s', async () => {
    const { group, fac, members } = await setup(2);
    const [a, b] = members as [TestClient, TestClient];
    const receipt = { v: 1, groupId: group.groupId, sessionId: group.sessionId, from: fac.member, to: a.member, nonce: b64(24), box: b64(100) };
    await fac.ok('direct.send', { box: receipt });
    expect(await a.next('direct')).toEqual({ box: receipt });
    // A member still cannot box another member, even dressed as a receipt.
    expect(await b.request('direct.send', { box: { ...receipt, from: b.member } })).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });
    // Nor can a facilitator box someone outside the roster.
    expect(await fac.request('direct.send', { box: { ...receipt, to: 'Z'.repeat(43) } })).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });
  });
});
