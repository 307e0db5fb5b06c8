/**
 * Admit automatically (policy.autoAdmit, issue 17), over the real relay with engine clients: a knock that verifies is
 * admitted by a facilitator's device by itself, with an ordinary signed `admit`; a lock wins over the policy (nobody
 * is admitted while locked, and the waiting knock is admitted once unlocked); two facilitators' devices racing for
 * the same knocks admit each newcomer once, with no error and no warning anyone is shown. A forged knock under the
 * policy: test/adversarial/fakeKnock.test.ts. On the code before the policy, `autoAdmit` is no method (and the op no
 * roster op): every test fails at its first step.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RosterOp } from '@kindred/shared/protocol';
import type { EngineEvents, KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, newClient, sessionWith, until, warnings } from '../support/engineClients';

/** Every `admit` entry `client` verified, and every background error it reported, from now on. */
function watch(client: KindredClient): { admits: string[]; errors: EngineEvents['error'][] } {
  const seen = { admits: [] as string[], errors: [] as EngineEvents['error'][] };
  client.on('roster.change', ({ op }: { op: RosterOp }) => {
    if (op.type === 'admit') seen.admits.push(op.member);
  });
  client.on('error', (e) => seen.errors.push(e));
  return seen;
}

describe('admit automatically', () => {
  let relay: RelayUnderTest;
  const open: KindredClient[] = [];

  beforeAll(async () => {
    relay = await startRelay();
  });
  afterEach(() => closeAll(open.splice(0)));
  afterAll(async () => {
    await relay?.close();
  });

  /** A newcomer that opens the link, accepts the rules and knocks (status 'waiting'). */
  async function knock(fragment: string, name: string): Promise<KindredClient> {
    const guest = await newClient(relay, { name });
    open.push(guest);
    await guest.openInvite(fragment);
    guest.acceptRules(true);
    expect(await guest.enterSession()).toBe('waiting');
    return guest;
  }

  it('a knock that verifies is admitted by the facilitator device by itself, with a signed admit', async () => {
    const s = await sessionWith(relay, 0);
    open.push(...s.all);
    const fac = s.facilitator;
    await fac.autoAdmit(true);
    expect(fac.getState().group!.roster!.policy.autoAdmit).toBe(true);
    const seen = watch(fac);
    const guest = await knock(s.fragment, 'Robin');
    await until(guest, (st) => st.session?.status === 'joined' && st.session.present.includes(fac.me), 'admitted without a click');
    await until(fac, (st) => st.session?.present.includes(guest.me) ?? false, 'present');
    expect(seen.admits).toEqual([guest.me]);
    expect(fac.getState().session!.knocks).toEqual([]);
    expect(guest.getState().group!.roster!.members.map((m) => m.id)).toContain(guest.me);
    expect([...warnings(fac), ...warnings(guest)]).toEqual([]);
    expect(seen.errors).toEqual([]);
  });

  it('a lock wins: nobody is admitted while locked; the waiting knock is admitted once unlocked', async () => {
    const s = await sessionWith(relay, 0);
    open.push(...s.all);
    const fac = s.facilitator;
    const seen = watch(fac);
    // The knock arrives with the policy off, then the session is locked and the policy turned on.
    const guest = await knock(s.fragment, 'Kim');
    await until(fac, (st) => st.session?.knocks.some((k) => k.member === guest.me) ?? false, 'knock shown');
    await fac.lock(true);
    await fac.autoAdmit(true);
    await fac.refreshRoster(); // a barrier: the sweep after each entry has run
    expect(seen.admits).toEqual([]);
    expect(fac.getState().session!.knocks.map((k) => k.member)).toEqual([guest.me]);
    expect(guest.getState().session!.status).toBe('waiting');
    // A person's admit is refused by the lock as well, before anything is signed.
    await expect(fac.admit(guest.me)).rejects.toMatchObject({ code: 'ROSTER_BAD_OP' });
    // Unlocked: the policy admits the knock that waited.
    await fac.lock(false);
    await until(guest, (st) => st.session?.status === 'joined', 'admitted after the unlock');
    expect(seen.admits).toEqual([guest.me]);
    expect(seen.errors).toEqual([]);
    expect([...warnings(fac), ...warnings(guest)]).toEqual([]);
  });

  it('two facilitator devices racing admit each newcomer once, with no error or warning shown', async () => {
    const s = await sessionWith(relay, 1);
    open.push(...s.all);
    const [fac, co] = [s.facilitator, s.members[0]!];
    await fac.promote(co.me);
    await until(co, (st) => st.group?.roster?.members.some((m) => m.id === co.me && m.role === 'facilitator') ?? false, 'promoted');
    await fac.autoAdmit(true);
    await until(co, (st) => st.group?.roster?.policy.autoAdmit === true, 'co-facilitator sees the policy');
    const seen = [watch(fac), watch(co)];
    const guests = await Promise.all(['Ana', 'Ben', 'Cy'].map((name) => knock(s.fragment, name)));
    for (const g of guests) await until(g, (st) => st.session?.status === 'joined', `${g.me} admitted`);
    for (const c of [fac, co]) {
      await until(c, (st) => guests.every((g) => st.group?.roster?.members.some((m) => m.id === g.me) ?? false), 'all in the roster');
      await until(c, (st) => st.session?.knocks.length === 0, 'no knock left');
    }
    for (const w of seen) {
      expect([...w.admits].sort()).toEqual(guests.map((g) => g.me).sort()); // one admit entry each, none twice
      expect(w.errors).toEqual([]);
    }
    expect([fac, co, ...guests].flatMap(warnings)).toEqual([]);
  });
});
