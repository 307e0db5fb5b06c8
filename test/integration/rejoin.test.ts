/**
 * A member who kept their key (the same identity) closes the tab mid-session and comes back: a new engine, a new
 * session key, the same member id. What the relay still holds for them (sender keys sealed to the OLD session key,
 * in its reconnect buffer) cannot be opened with the new key: that is not an attack and must raise no security
 * warning. And the names of everyone present must reach the rejoiner again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '@kindred/shared/crypto';
import type { KindredClient } from '@kindred/client/engine';
import { newClient, sessionWith, startRelay, until, type RelayUnderTest } from './harness';
import { sendAndSee } from '../support/engineClients';

let relay: RelayUnderTest;
const clients: KindredClient[] = [];

beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await relay?.close();
});

describe('a rejoin with a kept key', () => {
  it('raises no security warning and loses no name', async () => {
    const boKey = generateIdentity();
    const { facilitator: fac, members, fragment } = await sessionWith(relay, [{ name: 'Cy' }, { name: 'Bo', identity: boKey }]);
    const [cy, bo] = members as [KindredClient, KindredClient];
    clients.push(fac, cy, bo);
    // Keys flow to Bo's current session key (buffered by the relay for a reconnect), then Bo's tab goes away.
    await sendAndSee(fac, 'before', [bo, cy]);
    await sendAndSee(cy, 'from cy', [bo, fac]);
    bo.close();
    await until(fac, (s) => !(s.session?.present.includes(bo.me) ?? true), 'bo gone');
    await sendAndSee(fac, 'while bo is away', [cy]);

    const again = await newClient(relay, { name: 'Bo', identity: boKey });
    clients.push(again);
    await again.openInvite(fragment);
    again.acceptRules(true);
    expect(await again.enterSession()).toBe('joined');
    await until(again, (s) => s.session?.names[fac.me] === 'Facilitator' && s.session.names[cy.me] === 'Cy', 'names of everyone present');
    await sendAndSee(fac, 'welcome back', [again]);
    await sendAndSee(again, 'glad to be back', [fac, cy]);
    await sendAndSee(cy, 'hi again', [again]);
    expect(again.getState().warnings).toEqual([]);
    expect(again.getState().session?.log.filter((e) => e.kind === 'warning')).toEqual([]);
  });
});
