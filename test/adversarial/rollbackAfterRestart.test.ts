/**
 * Rollback across restarts: a relay that serves a roster older than the one a device has verified, to a kept-key
 * member after its app restarted (its verified chain is in the device vault, built as the web client builds it) and
 * to a newcomer whose invite link carries the roster head at the moment the link was made. Both refuse it; the
 * same relay answer is taken, without a warning, by a client that keeps nothing (the control, and the web client
 * before the vault).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, memberIdOf, signRosterEntry, wrapIdentity, type IdentityKeyPair, type RosterState } from '@kindred/shared/crypto';
import type { SignedRosterEntry } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { DeviceVault, keptKeyVault, memoryKeyStore, memoryVaultBackend } from '@kindred/client/vault';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, newClient, sessionWith, until, warnings } from '../support/engineClients';

const roster = (c: KindredClient): RosterState => c.getState().group!.roster as RosterState;
const member = (st: RosterState | null | undefined, id: string) => st?.members.find((m) => m.id === id);

/** A kept identity as the web client keeps it: wrapped in the key store (weak Argon2id: a test), its vault beside it. */
async function keptKey(): Promise<{ identity: IdentityKeyPair; storage: () => ReturnType<typeof keptKeyVault>; backend: ReturnType<typeof memoryVaultBackend> }> {
  const identity = generateIdentity();
  const keyStore = memoryKeyStore();
  await keyStore.save(wrapIdentity(identity, 'correct horse battery staple', { opslimit: 1, memlimit: 8192 }, { allowWeakParams: true }));
  const backend = memoryVaultBackend();
  // What client/src/store/installEngine.ts gives the engine for every identity (one instance as both storages).
  return { identity, backend, storage: () => keptKeyVault(identity, keyStore, backend) };
}

/** Resolves once the sealed record at rest holds `group`'s chain up to `epoch` (the engine saves in the background). */
async function savedUpTo(k: Awaited<ReturnType<typeof keptKey>>, group: string, epoch: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const stored = (await DeviceVault.open(k.identity, k.backend)).loadRoster(group);
    if ((stored?.entries.length ?? 0) > epoch) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the vault never held the chain');
}

/**
 * The relay serves `to` the roster only up to `lastEpoch` (and `branch` after it, if given): in invite.open's chain
 * and in every roster.get, so nothing later reaches it.
 */
function serveRoster(relay: RelayUnderTest, to: string, lastEpoch: number, branch: SignedRosterEntry[] = []): void {
  const cut = (chain: SignedRosterEntry[]) => [...chain.filter((e) => e.body.epoch <= lastEpoch), ...branch];
  relay.tap.tamper((p) => {
    const pl = p.payload as { roster?: SignedRosterEntry[]; entries?: SignedRosterEntry[] };
    if (!p.ack || p.member !== to) return undefined;
    if (Array.isArray(pl.roster)) return [{ ...pl, roster: cut(pl.roster) }];
    if (Array.isArray(pl.entries)) return [{ ...pl, entries: cut(pl.entries) }];
    return undefined;
  });
}

describe('rollback after a restart', () => {
  let relay: RelayUnderTest | undefined;
  const open: KindredClient[] = [];
  afterEach(() => {
    relay?.tap.clearRules();
    closeAll(open.splice(0));
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('a kept-key member restarted with its vault refuses a roster older than the one it verified', async () => {
    relay = await startRelay();
    const alice = await keptKey();
    const first = alice.storage();
    const s = await sessionWith(relay, [{ name: 'Alice', identity: alice.identity, rosterStorage: first, groupStorage: first }, { name: 'Bob' }, { name: 'Carol' }]);
    open.push(...s.all);
    const [fac, a, bob, carol] = s.all as [KindredClient, KindredClient, KindredClient, KindredClient];
    const before = roster(a).epoch;
    await fac.remove(carol.me);
    await fac.mute(bob.me);
    await until(a, (st) => st.group?.roster?.epoch === before + 2, 'alice saw the removal and the mute');
    await savedUpTo(alice, s.groupId, before + 2);
    a.close();

    // The app restarts: a new engine with the same identity and the same vault. The relay serves the chain as it was
    // before the removal and the mute (it agrees with Alice's up to there: only shorter).
    const restarted = await newClient(relay, { identity: alice.identity, rosterStorage: alice.storage() });
    open.push(restarted);
    serveRoster(relay, restarted.me, before);
    await expect(restarted.openInvite(s.fragment)).rejects.toMatchObject({ code: 'ROSTER_ROLLBACK' });
    expect(warnings(restarted)).toContain('ROSTER_ROLLBACK');
    expect(restarted.getState().group).toBeNull(); // nothing of the old roster is shown: Carol is not back, Bob not unmuted

    // Reopened from the vault without any link, while the relay still serves the old roster: the kept head stands.
    const third = alice.storage();
    const reopened = await newClient(relay, { identity: alice.identity, rosterStorage: third, groupStorage: third });
    open.push(reopened);
    serveRoster(relay, reopened.me, before);
    expect((await reopened.storedGroups()).map((g) => [g.groupId, g.name])).toEqual([[s.groupId, 'Evening circle']]);
    expect((await reopened.reopenGroup(s.groupId))?.name).toBe('Evening circle');
    expect(roster(reopened).epoch).toBe(before + 2);
    expect(member(roster(reopened), carol.me)).toBeUndefined();
    expect(member(roster(reopened), bob.me)?.muted).toBe(true);
    // And the record at rest says none of it in clear.
    const atRest = JSON.stringify(alice.backend.record);
    for (const needle of [s.groupId, 'Evening circle', carol.me, bob.me, fac.me, roster(reopened).head]) expect(atRest).not.toContain(needle);

    // With the true chain the restarted member carries on at the head it had.
    relay.tap.clearRules();
    await restarted.openInvite(s.fragment);
    expect(roster(restarted).epoch).toBe(before + 2);
    expect(member(roster(restarted), carol.me)).toBeUndefined();
    expect(member(roster(restarted), bob.me)?.muted).toBe(true);

    // The control: the same identity built without the vault (the web client before it) takes the old roster silently.
    const forgetful = await newClient(relay, { identity: alice.identity });
    open.push(forgetful);
    serveRoster(relay, forgetful.me, before);
    await forgetful.openInvite(s.fragment);
    expect(roster(forgetful).epoch).toBe(before);
    expect(member(roster(forgetful), carol.me)).toBeDefined();
    expect(member(roster(forgetful), bob.me)?.muted).toBe(false);
    expect(warnings(forgetful)).toEqual([]);
  });

  it('an invite-link newcomer refuses a roster older than the head in its link, or another entry at that head', async () => {
    relay = await startRelay();
    const facIk = generateIdentity();
    const s = await sessionWith(relay, [{ name: 'Bob' }, { name: 'Carol' }], { facilitator: { identity: facIk } });
    open.push(...s.all);
    const [fac, bob, carol] = s.all as [KindredClient, KindredClient, KindredClient];
    await fac.remove(carol.me);
    await fac.mute(bob.me);
    // A link made now carries the head with its own invite entry (the invite's signing key); the newcomer has never
    // seen the group.
    const { fragment } = await fac.createInvite();
    const head = roster(fac);

    const dana = await newClient(relay, { name: 'Dana' });
    open.push(dana);
    serveRoster(relay, dana.me, head.epoch - 1); // before the invite's entry
    await expect(dana.openInvite(fragment)).rejects.toMatchObject({ code: 'ROSTER_ROLLBACK' });
    expect(warnings(dana)).toContain('ROSTER_ROLLBACK');
    expect(dana.getState().group).toBeNull();

    // A chain that reaches the head's epoch with another entry there (signed by the facilitator: a branch the link
    // does not name) is a fork.
    relay.tap.clearRules();
    const erin = await newClient(relay, { name: 'Erin' });
    open.push(erin);
    const previous = fac as unknown as { ctx: { group: { tracker: { stateAt(e: number): RosterState } } } };
    serveRoster(relay, erin.me, head.epoch - 1, [signRosterEntry(previous.ctx.group.tracker.stateAt(head.epoch - 1), { type: 'lock', on: true }, facIk)]);
    await expect(erin.openInvite(fragment)).rejects.toMatchObject({ code: 'ROSTER_FORK' });
    expect(warnings(erin)).toContain('ROSTER_FORK');

    // The honest answer is taken, at the head or later.
    relay.tap.clearRules();
    const fay = await newClient(relay, { name: 'Fay' });
    open.push(fay);
    await fay.openInvite(fragment);
    expect(roster(fay).head).toBe(head.head);
    expect(member(roster(fay), bob.me)?.muted).toBe(true);
    expect(memberIdOf(facIk.publicKey)).toBe(fac.me);
  });
});
