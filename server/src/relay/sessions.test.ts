import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, signAcceptance, signKnockProof, type KnockToProve } from '@kindred/shared/crypto';
import type { Knock } from '@kindred/shared/protocol';
import { OpenClients, type TestClient, TestGroup, b64, startRelay, type RelayUnderTest } from './testHarness';

let relay: RelayUnderTest;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await relay.close();
});
const client = (): Promise<TestClient> => clients.signedIn(relay.url);

/** A group with an open session, its facilitator inside, and `n` admitted members (not yet entered). */
async function setup(n = 1): Promise<{ group: TestGroup; fac: TestClient; members: TestClient[] }> {
  relay = await startRelay();
  const fac = await client();
  const group = await TestGroup.create(fac);
  const members: TestClient[] = [];
  for (let i = 0; i < n; i++) {
    const m = await client();
    await group.admit(m);
    members.push(m);
  }
  await group.openSession();
  await group.enter(fac).then((a) => expect(a).toMatchObject({ ok: true, status: 'joined' }));
  return { group, fac, members };
}

describe('session.enter', () => {
  it('refuses a session that is not open', async () => {
    relay = await startRelay();
    const fac = await client();
    const group = await TestGroup.create(fac);
    group.sessionId = b64(16);
    expect(await group.enter(fac)).toMatchObject({ error: { code: 'SESSION_NOT_OPEN' } });
  });

  it('joins roster members at once, with who is present, and announces them', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    const ack = await group.enter(m);
    expect(ack).toMatchObject({ ok: true, status: 'joined', missed: [], sealed: [], waiting: [] });
    const present = (ack as unknown as { present: { member: string }[] }).present.map((p) => p.member).sort();
    expect(present).toEqual([fac.member, m.member].sort());
    const pushed = await fac.next<{ member: string; present: boolean }>('session.member', (p) => p.member === m.member);
    expect(pushed).toMatchObject({ present: true, groupId: group.groupId, sessionId: group.sessionId });
  });

  it('checks the acceptance and the session key belong to this member, group and session', async () => {
    const { group, members } = await setup(2);
    const [m, other] = members as [TestClient, TestClient];
    const theirs = signAcceptance(other.ik, { groupId: group.groupId, sessionId: group.sessionId, rulesDigest: b64(32), agreement: true });
    expect(await m.request('session.enter', group.enterRequest(m, { acceptance: theirs }))).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const forOtherSession = signAcceptance(m.ik, { groupId: group.groupId, sessionId: b64(16), rulesDigest: b64(32), agreement: true });
    expect(await m.request('session.enter', group.enterRequest(m, { acceptance: forOtherSession }))).toMatchObject({ error: { code: 'WRONG_SESSION' } });
    const theirKey = group.enterRequest(other).sessionKey;
    expect(await m.request('session.enter', group.enterRequest(m, { sessionKey: theirKey }))).toMatchObject({ error: { code: 'SESSION_KEY_UNSIGNED' } });
  });

  it('makes strangers with a valid invite wait, tells present facilitators, and admits them by roster entry', async () => {
    const { group, fac, members } = await setup(1);
    const guest = await client();
    expect(await group.enter(guest)).toMatchObject({ error: { code: 'NOT_MEMBER' } });
    const { inviteId, gateToken } = await group.invite();
    expect(await group.enter(guest, { inviteId, gateToken: b64(32) })).toMatchObject({ error: { code: 'INVITE_INVALID' } });
    expect(await group.enter(guest, { inviteId, gateToken })).toMatchObject({ ok: true, status: 'waiting', present: [{ member: fac.member }] });
    const knock = await fac.next<Knock>('session.knock');
    expect(knock).toMatchObject({ groupId: group.groupId, sessionId: group.sessionId, member: guest.member });
    // a member is not told about knocks; a facilitator entering gets the waiting list
    const m = members[0]!;
    expect(await group.enter(m)).toMatchObject({ ok: true, waiting: [] });
    const facAgain = await clients.signedIn(relay.url, fac.ik);
    const entered = await group.enter(facAgain);
    expect((entered as unknown as { waiting: Knock[] }).waiting.map((k) => k.member)).toEqual([guest.member]);
    // waiting people cannot send
    expect(await guest.request('message.send', { envelope: group.envelope(guest) })).toMatchObject({ ok: false });

    const admit = await group.append({ type: 'admit', member: guest.member });
    expect(await guest.next('roster.entry', (p: { entry: unknown }) => JSON.stringify(p.entry) === JSON.stringify(admit))).toBeDefined();
    const seen = await guest.next<{ member: string }>('session.member', (p) => p.member === fac.member);
    expect(seen).toMatchObject({ present: true });
    expect(await m.next<{ member: string }>('session.member', (p) => p.member === guest.member)).toMatchObject({ present: true });
    expect(await guest.request('message.send', { envelope: group.envelope(guest) })).toMatchObject({ ok: true, seq: expect.any(Number) });
  });

  it('shows a member made facilitator mid-session the knocks already waiting, after the entry that promotes it', async () => {
    const { group, members } = await setup(1);
    const m = members[0]!;
    await group.enter(m);
    const guest = await client();
    const { inviteId, gateToken } = await group.invite();
    expect(await group.enter(guest, { inviteId, gateToken })).toMatchObject({ ok: true, status: 'waiting' });
    const promote = await group.append({ type: 'role', member: m.member, role: 'facilitator' });
    const knock = await m.next<Knock>('session.knock');
    expect(knock).toMatchObject({ groupId: group.groupId, sessionId: group.sessionId, member: guest.member });
    // The client takes a knock only once its roster makes it a facilitator: the entry must come first.
    const order = m.pushes.map((p) => (p.event === 'roster.entry' && JSON.stringify((p.payload as { entry: unknown }).entry) === JSON.stringify(promote) ? 'promoted' : p.event));
    expect(order.indexOf('promoted')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('promoted')).toBeLessThan(order.indexOf('session.knock'));
    expect(m.received('session.knock')).toHaveLength(1);
  });

  it("tells a knocker the facilitators present, and the waiting room a facilitator's arrival or promotion, never a member's", async () => {
    const { group, fac, members } = await setup(2);
    const [m, other] = members as [TestClient, TestClient];
    await group.enter(other);
    const guest = await client();
    const { inviteId, gateToken } = await group.invite();
    const waiting = (await group.enter(guest, { inviteId, gateToken })) as unknown as { status: string; present: { member: string; sessionKey: { body: { member: string } } }[] };
    expect(waiting.status).toBe('waiting');
    // The facilitator present, with its signed session key (for the introduction); not the member present.
    expect(waiting.present.map((p) => [p.member, p.sessionKey.body.member])).toEqual([[fac.member, fac.member]]);

    await group.enter(m); // a member arriving: not told to the waiting room
    const facAgain = await clients.signedIn(relay.url, fac.ik);
    await group.enter(facAgain); // a facilitator arriving (another device): told
    expect(await guest.next<{ member: string }>('session.member', (p) => p.member === fac.member)).toMatchObject({ present: true, sessionKey: expect.any(Object) });
    const promote = await group.append({ type: 'role', member: m.member, role: 'facilitator' });
    expect(await guest.next<{ member: string }>('session.member', (p) => p.member === m.member)).toMatchObject({ present: true, sessionKey: expect.any(Object) });
    // The promoting entry first: the knocker checks the new facilitator against its roster.
    const order = guest.pushes.map((p) => (p.event === 'roster.entry' && JSON.stringify((p.payload as { entry: unknown }).entry) === JSON.stringify(promote) ? 'promoted' : p.event === 'session.member' ? (p.payload as { member: string }).member : p.event));
    expect(order.indexOf('promoted')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('promoted')).toBeLessThan(order.indexOf(m.member));
    expect(guest.received('session.member').map((p) => (p as { member: string }).member)).toEqual([fac.member, m.member]);
  });

  it('checks a knock\'s invite proof against its verified roster (defence in depth; clients check it themselves)', async () => {
    const { group, fac } = await setup(0);
    const guest = await client();
    const { inviteId, gateToken } = await group.invite();
    const other = await group.invite();
    const good = group.enterRequest(guest, { inviteId, gateToken });
    const code = async (req: Record<string, unknown>): Promise<unknown> => ((await guest.request('session.enter', req)) as { error?: { code: string } }).error?.code;
    const { knockProof: _dropped, ...unproven } = good;
    expect(await code(unproven)).toBe('KNOCK_UNPROVEN');
    // A proof signed with a key that is not the invite's (the relay's own, say).
    const forged = signKnockProof(generateIdentity(), inviteId, { ...(good as never as KnockToProve), member: guest.member });
    expect(await code({ ...good, knockProof: forged })).toBe('BAD_SIGNATURE');
    // A real proof through another invite than the gate token presented.
    expect(await code({ ...group.enterRequest(guest, { inviteId: other.inviteId, gateToken: other.gateToken }), inviteId, gateToken })).toBe('KNOCK_UNPROVEN');
    // A real proof for another session key of the same member.
    const otherKey = group.enterRequest(guest).sessionKey;
    expect(await code({ ...good, sessionKey: otherKey })).toBe('KNOCK_UNPROVEN');
    // Revoked in the roster (even while the relay's own gate still lets the token through).
    await group.append({ type: 'inviteRevoke', inviteId });
    expect(await code(group.enterRequest(guest, { inviteId, gateToken }))).toBe('INVITE_REVOKED');
    expect(fac.received('session.knock')).toEqual([]);
    expect(await code(group.enterRequest(guest, { inviteId: other.inviteId, gateToken: other.gateToken }))).toBeUndefined();
  });

  it('refuses new arrivals when the roster is locked, and banned keys', async () => {
    const { group } = await setup(0);
    const guest = await client();
    const { inviteId, gateToken } = await group.invite();
    await group.append({ type: 'lock', on: true });
    expect(await group.enter(guest, { inviteId, gateToken })).toMatchObject({ error: { code: 'SESSION_LOCKED' } });
    await group.append({ type: 'ban', member: guest.member });
    expect(await group.enter(guest, { inviteId, gateToken })).toMatchObject({ error: { code: 'BANNED' } });
  });

  it('evicts a removed or banned member at once', async () => {
    const { group, fac, members } = await setup(2);
    const [m, b] = members as [TestClient, TestClient];
    await group.enter(m);
    await group.enter(b);
    await group.append({ type: 'remove', member: m.member });
    expect(await m.next('session.closed')).toEqual({ groupId: group.groupId, sessionId: group.sessionId, reason: 'removed' });
    expect(await fac.next<{ member: string; present: boolean }>('session.member', (p) => p.member === m.member && !p.present)).toBeDefined();
    expect(await m.request('message.send', { envelope: group.envelope(m) })).toMatchObject({ error: { code: 'NOT_MEMBER' } });
    await group.append({ type: 'ban', member: b.member });
    expect(await b.next('session.closed')).toMatchObject({ reason: 'banned' });
    expect(await group.enter(b)).toMatchObject({ error: { code: 'BANNED' } });
    // the evicted no longer receive the session's messages
    await fac.ok('message.send', { envelope: group.envelope(fac) });
    expect(await fac.next('message')).toBeDefined();
    expect(m.received('message')).toEqual([]);
    expect(b.received('message')).toEqual([]);
  });

  it('ends the session for everyone on sessionClose', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    await group.enter(m);
    await group.append({ type: 'sessionClose', sessionId: group.sessionId });
    expect(await m.next('session.closed')).toMatchObject({ reason: 'ended' });
    expect(await fac.next('session.closed')).toMatchObject({ reason: 'ended' });
    expect(await m.request('message.send', { envelope: group.envelope(m) })).toMatchObject({ error: { code: 'SESSION_NOT_OPEN' } });
  });

  it('announces a member leaving and disconnecting', async () => {
    const { group, fac, members } = await setup(1);
    const m = members[0]!;
    await group.enter(m);
    await m.ok('session.leave', { groupId: group.groupId });
    expect(await fac.next<{ member: string; present: boolean }>('session.member', (p) => p.member === m.member && !p.present)).toBeDefined();
    expect(await m.request('message.send', { envelope: group.envelope(m) })).toMatchObject({ error: { code: 'NOT_MEMBER' } });
  });
});
