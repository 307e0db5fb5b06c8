/**
 * The authorization matrix against the real relay: every facilitator action (each roster op type through
 * roster.append, invite.create, invite.revoke) tried by a member, a removed member, a banned key, a stranger and an
 * unauthenticated socket, each with an entry it signed itself on the current head, must be refused with the right
 * code and leave the chain unchanged; then message.send, session.enter, keys.distribute, direct.send and roster.get
 * by those who may not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionKey, signAcceptance } from '@kindred/shared/crypto';
import type { RosterOp } from '@kindred/shared/protocol';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { RawClient, RawGroup, b64, dummyCard, forgeEntry, type AnyAck } from '../support/rawClient';

const code = (ack: AnyAck): string => (ack.ok ? 'ok' : ack.error.code);

describe('authorization matrix', () => {
  let relay: RelayUnderTest;
  let fac: RawClient;
  let group: RawGroup;
  let member: RawClient;
  let removed: RawClient;
  let banned: RawClient;
  let stranger: RawClient;
  let anon: RawClient;
  let muted: RawClient;
  let invite: { inviteId: string; gateToken: string };

  beforeAll(async () => {
    relay = await startRelay({ storage: 'memory', record: false });
    fac = await RawClient.signedIn(relay.url);
    group = await RawGroup.create(fac);
    [member, removed, banned, stranger, muted] = (await Promise.all(Array.from({ length: 5 }, () => RawClient.signedIn(relay.url)))) as [RawClient, RawClient, RawClient, RawClient, RawClient];
    anon = await RawClient.connect(relay.url);
    for (const c of [member, removed, banned, muted]) await group.append({ type: 'admit', member: c!.member });
    await group.openSession();
    invite = await group.invite();
    for (const c of [fac, member, removed, banned, muted]) {
      const ack = await group.enter(c!);
      if (!ack.ok) console.log(relay.logs.filter((l) => l.includes("failed")).join("\n"));
      expect(code(ack)).toBe("ok");
    }
    await group.append({ type: 'remove', member: removed.member });
    await group.append({ type: 'ban', member: banned.member });
    await group.append({ type: 'mute', member: muted.member });
  });

  afterAll(async () => {
    for (const c of [fac, member, removed, banned, stranger, anon, muted]) c?.close();
    await relay?.close();
  });

  const ops = (): RosterOp[] => [
    { type: 'admit', member: b64(32) },
    { type: 'remove', member: member.member },
    { type: 'leave', member: muted.member }, // someone else's leave (a self-leave is allowed)
    { type: 'ban', member: member.member },
    { type: 'unban', member: banned.member },
    { type: 'role', member: stranger.member, role: 'facilitator' },
    { type: 'role', member: fac.member, role: 'member' },
    { type: 'mute', member: member.member },
    { type: 'unmute', member: muted.member },
    { type: 'muteAll', on: true },
    { type: 'lock', on: true },
    { type: 'expiry', expirySeconds: 7 * 24 * 3600 },
    { type: 'slowMode', seconds: 3600 },
    { type: 'sessionOpen', sessionId: b64(16) },
    { type: 'sessionClose', sessionId: group.sessionId },
    { type: 'genesis', creator: stranger.member, policy: { expirySeconds: 60, slowModeSeconds: 0, muteAllButFacilitators: false } },
  ];

  const actors = (): [string, RawClient, string][] => [
    ['a member', member, 'ROSTER_BAD_SIGNER'],
    ['a removed member', removed, 'ROSTER_BAD_SIGNER'],
    ['a banned key', banned, 'ROSTER_BAD_SIGNER'],
    ['a stranger', stranger, 'ROSTER_BAD_SIGNER'],
    ['an unauthenticated socket', anon, 'UNAUTHENTICATED'],
  ];

  it('refuses every roster op from anyone but a facilitator, and the chain does not move', async () => {
    const head = group.state.epoch;
    const seen: string[] = [];
    for (const [who, actor, expected] of actors()) {
      for (const op of ops()) {
        // Signed by the actor itself on the current head: what a dishonest member would craft.
        const entry = forgeEntry(group.state, op, actor.ik);
        const got = code(await actor.request('roster.append', { groupId: group.groupId, entry }));
        // A genesis op after genesis is malformed for everyone; the signer check comes first for a non-facilitator.
        const want = op.type === 'genesis' && expected !== 'UNAUTHENTICATED' ? ['ROSTER_BAD_SIGNER', 'ROSTER_BAD_OP'] : [expected];
        if (!want.includes(got)) seen.push(`${who} ${op.type}: ${got}, expected ${want.join(' or ')}`);
      }
    }
    expect(seen).toEqual([]);
    const entries = (await fac.ok('roster.get', { groupId: group.groupId, sinceEpoch: -1 })).entries as unknown[];
    expect(entries.length - 1).toBe(head);
  });

  it('refuses a facilitator-signed entry appended by someone else (a replayed or stolen entry)', async () => {
    const entry = group.sign({ type: 'admit', member: stranger.member });
    for (const [who, actor, expected] of actors()) {
      const got = code(await actor.request('roster.append', { groupId: group.groupId, entry }));
      expect(got, who).toBe(expected === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : 'FORBIDDEN');
    }
    // And the same entry replayed by the facilitator after it was applied: a conflict, not a second application.
    await fac.ok('roster.append', { groupId: group.groupId, entry });
    group.state = (await import('@kindred/shared/crypto')).applyRosterEntry(group.state, entry);
    expect(code(await fac.request('roster.append', { groupId: group.groupId, entry }))).toBe('CONFLICT');
    await group.append({ type: 'remove', member: stranger.member });
  });

  it('refuses invite.create and invite.revoke from anyone but a facilitator', async () => {
    for (const [who, actor, expected] of actors()) {
      const want = expected === 'UNAUTHENTICATED' ? 'UNAUTHENTICATED' : 'NOT_FACILITATOR';
      const created = await actor.request('invite.create', { groupId: group.groupId, inviteId: b64(16), gateHash: b64(32), card: dummyCard() });
      expect(code(created), `${who} invite.create`).toBe(want);
      const revoked = await actor.request('invite.revoke', { groupId: group.groupId, inviteId: invite.inviteId });
      expect(code(revoked), `${who} invite.revoke`).toBe(want);
    }
    // The invite still works: nobody revoked it.
    const probe = await RawClient.signedIn(relay.url);
    expect(code(await probe.request('invite.open', { groupId: group.groupId, ...invite }))).toBe('ok');
    probe.close();
  });

  it('refuses message.send from strangers, removed, banned and muted members, and a spoofed sender', async () => {
    const envelope = (from: RawClient, sender = from.member): unknown => ({
      envelope: {
        header: { v: 2, groupId: group.groupId, sessionId: group.sessionId, epoch: group.state.epoch, rosterHash: group.state.head, headEpoch: group.state.epoch, headHash: group.state.head, sender, keyId: b64(16), counter: 0, type: 'chat', ttl: 600 },
        nonce: b64(24),
        ct: b64(64),
        sig: b64(64),
      },
    });
    expect(code(await stranger.request('message.send', envelope(stranger)))).toBe('NOT_MEMBER');
    expect(code(await removed.request('message.send', envelope(removed)))).toBe('NOT_MEMBER');
    expect(code(await banned.request('message.send', envelope(banned)))).toBe('NOT_MEMBER');
    expect(code(await muted.request('message.send', envelope(muted)))).toBe('MUTED');
    expect(code(await anon.request('message.send', envelope(stranger)))).toBe('UNAUTHENTICATED');
    expect(code(await member.request('message.send', envelope(member, fac.member)))).toBe('FORBIDDEN');
    // Positive control: the member may send (the relay cannot check the signature of a sender-key message).
    expect(code(await member.request('message.send', envelope(member)))).toBe('ok');
    // Mute all but facilitators: the member is refused, the facilitator is not.
    await group.append({ type: 'muteAll', on: true });
    expect(code(await member.request('message.send', envelope(member)))).toBe('MUTED');
    expect(code(await fac.request('message.send', envelope(fac)))).toBe('ok');
    await group.append({ type: 'muteAll', on: false });
  });

  it('refuses session.enter without an invite, with a wrong gate token, to banned keys, and when locked', async () => {
    const newcomer = await RawClient.signedIn(relay.url);
    try {
      expect(code(await group.enter(newcomer))).toBe('NOT_MEMBER');
      expect(code(await group.enter(newcomer, { inviteId: invite.inviteId, gateToken: b64(32) }))).toBe('INVITE_INVALID');
      expect(code(await group.enter(newcomer, { inviteId: b64(16), gateToken: invite.gateToken }))).toBe('INVITE_INVALID');
      expect(code(await group.enter(removed))).toBe('NOT_MEMBER');
      expect(code(await group.enter(banned, invite))).toBe('BANNED');
      // Someone else's acceptance and session key: signatures bind the member.
      const foreign = { ...group.enterRequest(newcomer, invite), acceptance: signAcceptance(member.ik, { groupId: group.groupId, sessionId: group.sessionId, rulesDigest: b64(32), agreement: true }) };
      expect(code(await newcomer.request('session.enter', foreign))).toBe('FORBIDDEN');
      const foreignKey = { ...group.enterRequest(newcomer, invite), sessionKey: createSessionKey(member.ik, group.groupId, group.sessionId).signed };
      expect(code(await newcomer.request('session.enter', foreignKey))).toBe('SESSION_KEY_UNSIGNED');
      // A session that is not the open one.
      expect(code(await newcomer.request('session.enter', { ...group.enterRequest(newcomer, invite), sessionId: b64(16) }))).toBe('SESSION_NOT_OPEN');
      await group.append({ type: 'lock', on: true });
      expect(code(await group.enter(newcomer, invite))).toBe('SESSION_LOCKED');
      await group.append({ type: 'lock', on: false });
      expect(code(await group.enter(newcomer, invite))).toBe('ok'); // positive control: waiting
    } finally {
      newcomer.close();
    }
  });

  it('refuses keys to outsiders, direct boxes to non-facilitators, and the roster to strangers and banned keys', async () => {
    const sealed = (from: RawClient, to: string): unknown => ({
      groupId: group.groupId,
      sessionId: group.sessionId,
      sealed: [{ v: 2, groupId: group.groupId, sessionId: group.sessionId, from: from.member, to, keyId: b64(16), nonce: b64(24), box: b64(100) }],
    });
    // A recipient outside the roster is refused by name; the request itself (and any other recipient) goes on.
    const refusedAs = (to: string): unknown => ({ ok: true, recipients: [{ to, outcome: 'refused', code: 'NOT_MEMBER' }] });
    expect(await member.request('keys.distribute', sealed(member, stranger.member))).toEqual(refusedAs(stranger.member));
    expect(await member.request('keys.distribute', sealed(member, removed.member))).toEqual(refusedAs(removed.member));
    expect(await member.request('keys.distribute', sealed(member, banned.member))).toEqual(refusedAs(banned.member));
    expect(code(await member.request('keys.distribute', sealed(fac, muted.member)))).toBe('FORBIDDEN');
    expect(code(await stranger.request('keys.distribute', sealed(stranger, member.member)))).toBe('NOT_MEMBER');
    expect(code(await member.request('keys.distribute', sealed(member, muted.member)))).toBe('ok'); // a muted member still reads
    const box = (from: RawClient, to: string): unknown => ({ box: { v: 1, groupId: group.groupId, sessionId: group.sessionId, from: from.member, to, nonce: b64(24), box: b64(100) } });
    expect(code(await member.request('direct.send', box(member, muted.member)))).toBe('NOT_FACILITATOR');
    expect(code(await stranger.request('direct.send', box(stranger, fac.member)))).toBe('NOT_MEMBER');
    expect(code(await removed.request('direct.send', box(removed, fac.member)))).toBe('NOT_MEMBER');
    expect(code(await member.request('direct.send', box(member, fac.member)))).toBe('ok');
    expect(code(await stranger.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 }))).toBe('NOT_MEMBER');
    expect(code(await banned.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 }))).toBe('BANNED');
    expect(code(await banned.request('invite.open', { groupId: group.groupId, ...invite }))).toBe('BANNED');
    expect(code(await anon.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 }))).toBe('UNAUTHENTICATED');
  });

  it('refuses signing in as someone else', async () => {
    const c = await RawClient.connect(relay.url);
    try {
      const { challenge } = (await c.ok('auth.challenge', {})) as { challenge: string };
      const sig = (await import('@kindred/shared/crypto')).signAuthChallenge(stranger.ik, challenge);
      expect(code(await c.request('auth.prove', { member: fac.member, challenge, sig }))).toBe('AUTH_FAILED');
      // The challenge was spent by the failed attempt.
      const good = (await import('@kindred/shared/crypto')).signAuthChallenge(fac.ik, challenge);
      expect(code(await c.request('auth.prove', { member: fac.member, challenge, sig: good }))).toBe('AUTH_FAILED');
      expect(code(await c.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 }))).toBe('UNAUTHENTICATED');
    } finally {
      c.close();
    }
  });
});
