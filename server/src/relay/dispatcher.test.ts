import { afterEach, describe, expect, it } from 'vitest';
import type { Storage } from '../storage/storage';
import { OpenClients, type TestClient, TestGroup, b64, startRelay, type RelayUnderTest } from './testHarness';

let relay: RelayUnderTest;
const clients = new OpenClients();
afterEach(async () => {
  clients.closeAll();
  await relay.close();
});
const client = (signIn = true): Promise<TestClient> => (signIn ? clients.signedIn(relay.url) : clients.connected(relay.url));

describe('the dispatcher', () => {
  it('answers a malformed request with BAD_REQUEST and the path, and the connection goes on', async () => {
    relay = await startRelay();
    const c = await client();
    const bad = await c.request('roster.get', { groupId: 'not-an-id', sinceEpoch: -1 });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(bad.ok === false && bad.error.message).toContain('groupId');
    expect(await c.request('message.send', 'a string')).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(await c.request('roster.get', { groupId: b64(16), sinceEpoch: -1, extra: 1 })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    // still usable afterwards
    expect(await c.request('auth.challenge', {})).toMatchObject({ ok: true });
    expect(relay.refused.filter((x) => x === 'BAD_REQUEST')).toHaveLength(3);
  });

  it('refuses __proto__ keys and prototype names as events', async () => {
    relay = await startRelay();
    const c = await client();
    const polluted = JSON.parse(`{"groupId":"${b64(16)}","sinceEpoch":-1,"__proto__":{"polluted":true}}`) as unknown;
    expect(await c.request('roster.get', polluted)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(await c.request(name, {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    }
  });

  it('answers UNKNOWN_EVENT for an event outside the catalogue', async () => {
    relay = await startRelay();
    const c = await client(false);
    expect(await c.request('admin.dropDatabase', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_EVENT' } });
    expect(relay.refused).toContain('UNKNOWN_EVENT');
  });

  it('drops an event sent without an acknowledgement, counts it, and goes on', async () => {
    relay = await startRelay();
    const c = await client(false);
    c.socket.emit('auth.challenge', {});
    c.socket.emit('no.such.event');
    expect(await c.request('auth.challenge', {})).toMatchObject({ ok: true });
    expect(relay.refused.filter((x) => x === 'BAD_REQUEST')).toHaveLength(2);
    expect(c.pushes).toHaveLength(0);
  });

  it('refuses extra arguments', async () => {
    relay = await startRelay();
    const c = await client(false);
    const ack = (await c.socket.emitWithAck('auth.challenge', {}, 'extra')) as unknown;
    expect(ack).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('refuses an event larger than maxPayloadBytes', async () => {
    relay = await startRelay({ maxPayloadBytes: 16 * 1024 });
    const c = await client();
    const group = await TestGroup.create(c);
    const big = { groupId: group.groupId, inviteId: b64(16), gateHash: b64(32), card: { v: 1, nonce: b64(24), ct: b64(30_000) } };
    expect(await c.request('invite.create', big)).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(await c.request('auth.challenge', {})).toMatchObject({ ok: true });
  });

  it('measures each event by the packet that carried it, binary attachments included, and only that event', async () => {
    relay = await startRelay({ maxPayloadBytes: 16 * 1024 });
    const c = await client();
    const group = await TestGroup.create(c);
    // A small JSON request whose bulk rides in a binary attachment: its packet is over the bound.
    const attached = { groupId: group.groupId, sinceEpoch: -1, blob: Buffer.alloc(20_000, 1) };
    expect(await c.request('roster.get', attached)).toMatchObject({ ok: false, error: { code: 'PAYLOAD_TOO_LARGE' } });
    // The next event is measured alone: nothing of the last one is carried over.
    expect(await c.request('roster.get', { groupId: group.groupId, sinceEpoch: -1 })).toMatchObject({ ok: true });
    // Under the bound, an attachment is still no part of any schema.
    const small = await c.request('roster.get', { groupId: group.groupId, sinceEpoch: -1, blob: Buffer.alloc(10, 1) });
    expect(small).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(relay.refused).toEqual(['PAYLOAD_TOO_LARGE', 'BAD_REQUEST']);
  });

  it('says where a message.send request fails its schema, as for every other event', async () => {
    relay = await startRelay();
    const c = await client();
    const bad = await c.request('message.send', { envelope: { header: {}, nonce: b64(24), ct: b64(272), sig: b64(64) } });
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(bad.ok === false && bad.error.message).toContain('envelope.header.v');
    const extra = await c.request('message.send', { envelope: { header: {}, nonce: b64(24), ct: b64(272), sig: b64(64), x: 1 } });
    expect(extra.ok === false && extra.error.message).toContain('envelope');
  });

  it('requires authentication for everything but the auth events', async () => {
    relay = await startRelay();
    const c = await client(false);
    expect(await c.request('roster.get', { groupId: b64(16), sinceEpoch: -1 })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
    expect(relay.refused).toEqual(['UNAUTHENTICATED']);
  });

  it('rate-limits a connection with its token bucket', async () => {
    relay = await startRelay({ rateLimit: { perSecond: 1, burst: 3 } });
    const c = await client(false);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await c.request('auth.challenge', {}));
    expect(answers.map((a) => a.ok)).toEqual([true, true, true, false]);
    expect(answers[3]).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    relay.clock.now += 1000; // one token back
    expect(await c.request('auth.challenge', {})).toMatchObject({ ok: true });
  });

  it('answers INTERNAL to an unexpected failure and logs opaque ids only', async () => {
    const secret = 'SECRET-IN-DRIVER-MESSAGE';
    relay = await startRelay({}, (s: Storage): Storage => {
      const failing = Object.create(s) as Storage;
      failing.getRosterEntries = () => Promise.reject(new Error(secret));
      return failing;
    });
    const c = await client();
    expect(await c.request('roster.get', { groupId: b64(16), sinceEpoch: -1 })).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    const failures = relay.logs.filter((l) => l.includes('relay handler failed'));
    expect(failures).toHaveLength(1);
    expect(relay.logs.join('')).not.toContain(secret);
    expect(JSON.parse(failures[0]!)).toMatchObject({ event: 'roster.get', err: { name: 'Error' } });
    expect(await c.request('auth.challenge', {})).toMatchObject({ ok: true });
  });
});
