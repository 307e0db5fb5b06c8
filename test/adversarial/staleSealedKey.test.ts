/**
 * A member comes back with a kept key (a new session key of a higher generation). A peer that has not yet seen the new
 * key seals its chain to the old one, and the box reaches the rejoiner after it entered: that box cannot open, and it
 * is no attack, so it must raise no warning. What tells it apart is the generation the sealer states (`toGen`): a box
 * that claims the rejoiner's CURRENT generation and does not open is tampering, and still raises one.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { generateIdentity } from '@kindred/shared/crypto';
import type { SealedSenderKey } from '@kindred/shared/protocol';
import type { KindredClient } from '@kindred/client/engine';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { closeAll, newClient, nextEvent, sendAndSee, sessionWith, until } from '../support/engineClients';

describe('a key sealed to my previous session key, after I came back', () => {
  let relay: RelayUnderTest | undefined;
  const open: KindredClient[] = [];
  afterAll(async () => {
    closeAll(open);
    await relay?.close();
  });

  it('is dropped without a warning; one that claims my current key and does not open is a warning', async () => {
    relay = await startRelay();
    const boKey = generateIdentity();
    const s = await sessionWith(relay, [{ name: 'Bo', identity: boKey }]);
    open.push(...s.all);
    const [fac, bo] = s.all as [KindredClient, KindredClient];
    await sendAndSee(fac, 'before', [bo]);
    const toOldKey = (relay.tap.sentEvents('keys.sealed') as { sealed: SealedSenderKey[] }[]).flatMap((p) => p.sealed).filter((k) => k.from === fac.me && k.to === bo.me).at(-1)!;
    expect(toOldKey.toGen).toBeDefined();
    bo.close();
    await until(fac, (st) => !(st.session?.present.includes(bo.me) ?? true), 'bo gone');

    const again = await newClient(relay, { name: 'Bo', identity: boKey });
    open.push(again);
    await again.openInvite(s.fragment);
    again.acceptRules(true);
    expect(await again.enterSession()).toBe('joined');
    await sendAndSee(fac, 'welcome back', [again]);
    // What the facilitator sealed to my new key states its generation, above the old one.
    const current = (relay.tap.sentEvents('keys.sealed') as { sealed: SealedSenderKey[] }[]).flatMap((p) => p.sealed).filter((k) => k.from === fac.me && k.to === again.me).at(-1)!;
    expect(current.toGen).toBeGreaterThan(toOldKey.toGen!);

    // The late box, as a slow peer or relay would deliver it: dropped, no warning.
    relay.tap.inject(again.me, 'keys.sealed', { sealed: [toOldKey] });
    await sendAndSee(fac, 'a barrier after the stale box', [again]);
    expect(again.getState().warnings).toEqual([]);
    expect(again.getState().session?.log.filter((e) => e.kind === 'warning')).toEqual([]);

    // The same box claiming my current generation: it does not open under my key, so it is taken for what it is.
    const warned = nextEvent(again, 'security.warning');
    relay.tap.inject(again.me, 'keys.sealed', { sealed: [{ ...toOldKey, toGen: current.toGen }] });
    expect((await warned).code).toBe('DECRYPT_FAILED');
  });
});
