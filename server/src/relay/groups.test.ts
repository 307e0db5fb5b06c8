import { afterEach, describe, expect, it } from 'vitest';
import { createGenesis, signRosterBody, signRosterEntry } from '@kindred/shared/crypto';
import { OpenClients, type TestClient, TestGroup, b64, defaultPolicy, dummyCard, startRelay, type RelayUnderTest } from './testHarness';

let relay: RelayUnderTest;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await relay.close();
});
const client = (): Promise<TestClient> => clients.signedIn(relay.url);

describe('groups and the roster', () => {
  it('creates a group only from a genesis signed by the signed-in member, once', async () => {
    relay = await startRelay();
    const fac = await client();
    const stranger = await client();
    const genesis = createGenesis(fac.ik, b64(16), defaultPolicy);
    expect(await stranger.request('group.create', { genesis })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await fac.request('group.create', { genesis })).toEqual({ ok: true });
    expect(await fac.request('group.create', { genesis })).toMatchObject({ error: { code: 'CONFLICT' } });
    const tampered = { ...genesis, body: { ...genesis.body, op: { ...genesis.body.op, policy: { ...defaultPolicy, expirySeconds: 60 } } } };
    expect(await fac.request('group.create', { genesis: { ...tampered, body: { ...tampered.body, groupId: b64(16) } } })).toMatchObject({
      error: { code: 'BAD_SIGNATURE' },
    });
  });

  it('refuses facilitator actions from members and strangers', async () => {
    relay = await startRelay();
    const fac = await client();
    const member = await client();
    const stranger = await client();
    const group = await TestGroup.create(fac);
    await group.admit(member);
    const invite = { groupId: group.groupId, inviteId: b64(16), gateHash: b64(32), card: dummyCard() };
    expect(await member.request('invite.create', invite)).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });
    expect(await stranger.request('invite.create', invite)).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });
    const { inviteId } = await group.invite();
    expect(await member.request('invite.revoke', { groupId: group.groupId, inviteId })).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });
    expect(await member.request('invite.card', { groupId: group.groupId, inviteId, card: dummyCard() })).toMatchObject({ error: { code: 'NOT_FACILITATOR' } });

    // A roster entry signed by a member (or a stranger) is refused exactly as clients refuse it.
    const byMember = signRosterBody({ v: 1, groupId: group.groupId, epoch: group.state.epoch + 1, prev: group.state.head, op: { type: 'mute', member: fac.member }, signer: member.member }, member.ik);
    expect(await member.request('roster.append', { groupId: group.groupId, entry: byMember })).toMatchObject({ error: { code: 'ROSTER_BAD_SIGNER' } });
    const byStranger = signRosterBody({ ...byMember.body, signer: stranger.member }, stranger.ik);
    expect(await stranger.request('roster.append', { groupId: group.groupId, entry: byStranger })).toMatchObject({ error: { code: 'ROSTER_BAD_SIGNER' } });
    // Someone else submitting the facilitator's entry is refused too.
    const byFac = signRosterEntry(group.state, { type: 'lock', on: true }, fac.ik);
    expect(await member.request('roster.append', { groupId: group.groupId, entry: byFac })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(await stranger.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 })).toMatchObject({ error: { code: 'NOT_MEMBER' } });
    const entries = (await member.ok('roster.get', { groupId: group.groupId, sinceEpoch: -1 })).entries as unknown[];
    expect(entries).toHaveLength(3); // genesis, admit, and the invite's entry (its signing key)
  });

  it('answers CONFLICT to an entry for an epoch already taken, and broadcasts accepted entries', async () => {
    relay = await startRelay();
    const fac = await client();
    const cofac = await client();
    const group = await TestGroup.create(fac);
    await group.admit(cofac);
    await group.append({ type: 'role', member: cofac.member, role: 'facilitator' });
    await cofac.ok('roster.get', { groupId: group.groupId, sinceEpoch: -1 }); // follows the group from now on
    const stale = group.state;
    const first = await group.append({ type: 'slowMode', seconds: 5 });
    const late = signRosterEntry(stale, { type: 'lock', on: true }, cofac.ik);
    expect(await cofac.request('roster.append', { groupId: group.groupId, entry: late })).toMatchObject({ error: { code: 'CONFLICT' } });
    expect(await cofac.next('roster.entry', (p: { entry: { body: { epoch: number } } }) => p.entry.body.epoch === first.body.epoch)).toEqual({
      groupId: group.groupId,
      entry: first,
    });
  });

  it('opens an invite with the right gate token only, and not for banned keys', async () => {
    relay = await startRelay();
    const fac = await client();
    const guest = await client();
    const group = await TestGroup.create(fac);
    const { inviteId, gateToken } = await group.invite();
    expect(await guest.request('invite.open', { groupId: group.groupId, inviteId, gateToken: b64(32) })).toMatchObject({ error: { code: 'INVITE_INVALID' } });
    expect(await guest.request('invite.open', { groupId: b64(16), inviteId, gateToken })).toMatchObject({ error: { code: 'INVITE_INVALID' } });
    expect(await guest.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 })).toMatchObject({ error: { code: 'NOT_MEMBER' } });
    const opened = await guest.ok('invite.open', { groupId: group.groupId, inviteId, gateToken });
    expect(opened.roster).toHaveLength(2); // genesis and the invite's entry
    expect(opened.card).toMatchObject({ v: 1 });
    // having opened the invite, the guest may read the roster
    expect(await guest.request('roster.get', { groupId: group.groupId, sinceEpoch: 1 })).toEqual({ ok: true, entries: [] });

    const banned = await client();
    await group.append({ type: 'ban', member: banned.member });
    expect(await banned.request('invite.open', { groupId: group.groupId, inviteId, gateToken })).toMatchObject({ error: { code: 'BANNED' } });

    // A facilitator replaces the card the invite serves (a new revision); the gate stays the same.
    const newer = dummyCard();
    await fac.ok('invite.card', { groupId: group.groupId, inviteId, card: newer });
    expect((await guest.ok('invite.open', { groupId: group.groupId, inviteId, gateToken })).card).toEqual(newer);
    expect(await fac.request('invite.card', { groupId: group.groupId, inviteId: b64(16), card: newer })).toMatchObject({ error: { code: 'NOT_FOUND' } });

    await fac.ok('invite.revoke', { groupId: group.groupId, inviteId });
    expect(await guest.request('invite.open', { groupId: group.groupId, inviteId, gateToken })).toMatchObject({ error: { code: 'INVITE_INVALID' } });
    expect(await fac.request('invite.card', { groupId: group.groupId, inviteId, card: newer })).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });
});
