/**
 * The version rule end to end (protocol v2): a relay that refuses this app's version at the door, and a relay that
 * does not state this app's version, each leave the engine client 'outdated' with a warning that says what to do,
 * and no request of the client goes out after that. The real relay and a real engine client; the other side's
 * version is played by a refusal at connect (what a newer relay sends) and by a tap that drops the version from the
 * challenge answer (what a relay from before version 2 answers).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, initCrypto } from '@kindred/shared/crypto';
import { isKindredError } from '@kindred/shared/errors';
import { KindredClient } from '@kindred/client/engine';
import { ProtocolRefusal } from '@kindred/server';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { until } from '../support/engineClients';

let relay: RelayUnderTest | undefined;
const clients: KindredClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await relay?.close();
  relay = undefined;
});

async function client(url: string): Promise<KindredClient> {
  await initCrypto();
  const c = await KindredClient.create({ url, identity: generateIdentity(), requestTimeoutMs: 5_000, socketOptions: { forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 250 } });
  clients.push(c);
  return c;
}

describe('the protocol version', () => {
  it('a relay that refuses this version at connect: the client stops (outdated) and says "reload"', async () => {
    relay = await startRelay({ storage: 'memory' });
    relay.app.io.use((_socket, next) => next(new ProtocolRefusal())); // what a relay of a later version answers
    const c = await client(relay.url);
    await expect(c.connect()).rejects.toSatisfy((e) => isKindredError(e, 'CLIENT_OUTDATED'));
    const s = await until(c, (st) => st.connection === 'outdated' && st.warnings.some((w) => w.code === 'CLIENT_OUTDATED'), 'outdated');
    expect(s.warnings.find((w) => w.code === 'CLIENT_OUTDATED')!.message).toMatch(/out of date.*reload/);
    await expect(c.refreshRoster()).rejects.toThrow(); // nothing goes out any more
  });

  it('a relay that does not state this version: the client refuses it (RELAY_OUTDATED) before signing in', async () => {
    relay = await startRelay({ storage: 'memory' });
    relay.tap.tamper((p) => {
      const answer = p.payload as { ok?: boolean; challenge?: string; protocol?: number };
      if (!p.ack || typeof answer.challenge !== 'string') return undefined;
      const { protocol: _dropped, ...old } = answer; // a version 1 relay's answer: no protocol field
      return [old];
    });
    const c = await client(relay.url);
    await expect(c.connect()).rejects.toSatisfy((e) => isKindredError(e, 'RELAY_OUTDATED'));
    await until(c, (st) => st.connection === 'outdated' && st.warnings.some((w) => w.code === 'RELAY_OUTDATED'), 'relay outdated');
    // It never proved its identity to that relay.
    expect(relay.tap.received.some((r) => r.includes('"auth.prove"'))).toBe(false);
  });
});
