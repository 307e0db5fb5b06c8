/**
 * Reconnecting: a member drops mid-session and resumes (no message lost or duplicated), and the relay itself restarts
 * on the same SQLite file (groups, rosters and bans intact; clients reconnect by themselves and carry on).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, type RosterStorage, type SerializedRoster } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import type { KindredClient } from '@kindred/client/engine';
import { newClient, nextEvent, sessionWith, startRelay, texts, until, type RelayUnderTest } from './harness';

let relay: RelayUnderTest | undefined;
const clients: KindredClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

const countOf = (list: string[], t: string): number => list.filter((x) => x === t).length;

describe('reconnect and resume', () => {
  it('a member that drops mid-session gets what it missed, once, and carries on', async () => {
    relay = await startRelay();
    const { facilitator: fac, members } = await sessionWith(relay, 2);
    const [alice, bob] = members as [KindredClient, KindredClient];
    clients.push(fac, alice, bob);

    await fac.send('before-1');
    await bob.send('before-2');
    await until(alice, () => texts(alice).includes('before-2') && texts(alice).includes('before-1'), 'before');

    const gone = nextEvent(fac, 'presence', (p) => p.member === alice.me && !p.present);
    const reconnect = alice.connection.simulateNetworkDrop({ hold: true });
    await gone; // the relay has noticed: what follows is sent while alice is away
    await fac.send('away-1');
    await bob.send('away-2');
    await fac.send('away-3');
    await until(bob, () => texts(bob).includes('away-3'), 'bob has away-3');

    reconnect();
    await until(alice, () => ['away-1', 'away-2', 'away-3'].every((t) => texts(alice).includes(t)), 'alice resumed');
    await until(fac, (s) => s.session?.present.includes(alice.me) ?? false, 'alice present again');
    await alice.send('after');
    await until(fac, () => texts(fac).includes('after'), 'fac got after');
    await until(bob, () => texts(bob).includes('after'), 'bob got after');

    const seen = texts(alice);
    expect(seen).toEqual(['before-1', 'before-2', 'away-1', 'away-2', 'away-3', 'after']);
    for (const t of seen) expect(countOf(seen, t)).toBe(1);
    expect(alice.getState().warnings).toEqual([]);
  });

  it('the relay restarts on the same SQLite file: groups, rosters and bans survive; clients reconnect', async () => {
    relay = await startRelay();
    const { facilitator: fac, members, fragment } = await sessionWith(relay, 2);
    const [alice, mallory] = members as [KindredClient, KindredClient];
    clients.push(fac, alice, mallory);
    await fac.ban(mallory.me);
    await until(alice, (s) => s.group?.roster?.banned.includes(mallory.me) ?? false, 'ban seen');
    await fac.send('before restart');
    await until(alice, () => texts(alice).includes('before restart'), 'before restart');
    const epochCode = fac.getState().group?.epochCode;

    const facBack = nextEvent(fac, 'connection', (c) => c.status === 'ready');
    const aliceBack = nextEvent(alice, 'connection', (c) => c.status === 'ready');
    await relay.restart();
    await Promise.all([facBack, aliceBack]);
    await until(fac, (s) => s.session?.present.includes(alice.me) ?? false, 'alice present after restart');
    await until(alice, (s) => s.session?.present.includes(fac.me) ?? false, 'fac present after restart');

    await fac.send('after restart');
    await until(alice, () => texts(alice).includes('after restart'), 'alice after restart');
    await alice.send('alice after restart');
    await until(fac, () => texts(fac).includes('alice after restart'), 'fac after restart');
    expect(countOf(texts(alice), 'before restart')).toBe(1);

    // The roster came back from disk: same head for a newcomer, and the ban holds.
    const newcomer = await newClient(relay);
    clients.push(newcomer);
    await newcomer.openInvite(fragment);
    expect(newcomer.getState().group?.epochCode).toBe(epochCode);
    await expect(mallory.openInvite(fragment)).rejects.toSatisfy((e) => isKindredError(e, 'BANNED'));
  });

  it('with a roster storage, a relay serving an older roster after an app restart is caught', async () => {
    relay = await startRelay();
    const { facilitator: fac, fragment } = await sessionWith(relay, 0);
    clients.push(fac);
    const saved = new Map<string, SerializedRoster>();
    const storage: RosterStorage = { loadRoster: (g) => saved.get(g), saveRoster: (g, d) => void saved.set(g, d) };
    const identity = generateIdentity();

    const before = await newClient(relay, { identity, rosterStorage: storage });
    clients.push(before);
    await before.openInvite(fragment);
    const shortEpoch = before.getState().group!.roster!.epoch;
    await fac.lock(true);
    await fac.lock(false);
    await before.openInvite(fragment);
    await until(before, () => (saved.values().next().value?.entries.length ?? 0) === shortEpoch + 3, 'saved');
    before.close();

    // The app restarts (a new engine, same identity and storage); the relay serves the chain as it was earlier.
    const truncate = (c: KindredClient): void => {
      const real = c.connection.request.bind(c.connection);
      (c.connection as { request: typeof real }).request = (async (event, payload) => {
        const res = await real(event, payload);
        if (event !== 'invite.open') return res;
        const open = res as Awaited<ReturnType<typeof real<'invite.open'>>>;
        return { ...open, roster: open.roster.slice(0, shortEpoch + 1) };
      }) as typeof real;
    };
    const after = await newClient(relay, { identity, rosterStorage: storage });
    clients.push(after);
    truncate(after);
    await expect(after.openInvite(fragment)).rejects.toSatisfy((e) => isKindredError(e, 'ROSTER_ROLLBACK'));
    expect(after.getState().warnings.map((w) => w.code)).toContain('ROSTER_ROLLBACK');

    // Without the storage the same answer cannot be told from a real one (the control).
    const forgetful = await newClient(relay, { identity });
    clients.push(forgetful);
    truncate(forgetful);
    await forgetful.openInvite(fragment);
    expect(forgetful.getState().group!.roster!.epoch).toBe(shortEpoch);
  });
});
