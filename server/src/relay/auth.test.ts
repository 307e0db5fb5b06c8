import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity, memberIdOf, signAuthChallenge } from '@kindred/shared/crypto';
import { TestClient, startRelay, type RelayUnderTest } from './testHarness';
import { CHALLENGE_TTL_MS } from './auth';

let relay: RelayUnderTest;
let c: TestClient;
afterEach(async () => {
  c.close();
  await relay.close();
});

async function challenge(): Promise<string> {
  return ((await c.ok('auth.challenge', {})) as { challenge: string }).challenge;
}

describe('auth', () => {
  it('signs in with a signature over a fresh challenge', async () => {
    relay = await startRelay();
    c = await TestClient.connect(relay.url);
    const ch = await challenge();
    const member = memberIdOf(c.ik.publicKey);
    expect(await c.request('auth.prove', { member, challenge: ch, sig: signAuthChallenge(c.ik, ch) })).toEqual({ ok: true });
    expect(await c.request('roster.get', { groupId: 'AAAAAAAAAAAAAAAAAAAAAA', sinceEpoch: -1 })).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('uses a challenge once', async () => {
    relay = await startRelay();
    c = await TestClient.connect(relay.url);
    const ch = await challenge();
    const proof = { member: memberIdOf(c.ik.publicKey), challenge: ch, sig: signAuthChallenge(c.ik, ch) };
    expect(await c.request('auth.prove', proof)).toEqual({ ok: true });
    expect(await c.request('auth.prove', proof)).toMatchObject({ ok: false, error: { code: 'AUTH_FAILED' } });
  });

  it('refuses a signature by another key, an unknown challenge, and a failed attempt spends the challenge', async () => {
    relay = await startRelay();
    c = await TestClient.connect(relay.url);
    const other = generateIdentity();
    const ch = await challenge();
    const member = memberIdOf(c.ik.publicKey);
    expect(await c.request('auth.prove', { member, challenge: ch, sig: signAuthChallenge(other, ch) })).toMatchObject({ error: { code: 'AUTH_FAILED' } });
    // the failed attempt spent it: even the right signature is refused now
    expect(await c.request('auth.prove', { member, challenge: ch, sig: signAuthChallenge(c.ik, ch) })).toMatchObject({ error: { code: 'AUTH_FAILED' } });
    await challenge(); // a live challenge exists, but the proof names another
    const forged = 'A'.repeat(43);
    expect(await c.request('auth.prove', { member, challenge: forged, sig: signAuthChallenge(c.ik, forged) })).toMatchObject({ error: { code: 'AUTH_FAILED' } });
    expect(await c.request('roster.get', { groupId: 'AAAAAAAAAAAAAAAAAAAAAA', sinceEpoch: -1 })).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
  });

  it('expires a challenge after its TTL', async () => {
    relay = await startRelay();
    c = await TestClient.connect(relay.url);
    const ch = await challenge();
    relay.clock.now += CHALLENGE_TTL_MS + 1;
    const member = memberIdOf(c.ik.publicKey);
    expect(await c.request('auth.prove', { member, challenge: ch, sig: signAuthChallenge(c.ik, ch) })).toMatchObject({ error: { code: 'AUTH_EXPIRED' } });
  });

  it('keeps one identity per connection', async () => {
    relay = await startRelay();
    c = await TestClient.signedIn(relay.url);
    const other = generateIdentity();
    const ch = await challenge();
    expect(await c.request('auth.prove', { member: memberIdOf(other.publicKey), challenge: ch, sig: signAuthChallenge(other, ch) })).toMatchObject({
      error: { code: 'FORBIDDEN' },
    });
  });
});
