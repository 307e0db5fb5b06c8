import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { io as connect, type Socket } from 'socket.io-client';
import { PROTOCOL_VERSION } from '@kindred/shared/protocol';
import { buildApp, type KindredApp } from './app';
import { IN_MEMORY, defaultConfig, type Config } from './config';
import { CONTENT_SECURITY_POLICY } from './securityHeaders';
import { CLIENT_NOT_BUILT } from './staticClient';
import { createSqliteStorage } from './storage/sqliteStorage';
import { fakeGenesis, fakeHash, fakeMemberId, fakeOpaqueId } from './storage/storageFixtures';

const tmp = mkdtempSync(join(tmpdir(), 'kindred-app-'));
const noClient = join(tmp, 'no-client');
const client = join(tmp, 'client');
mkdirSync(join(client, 'assets'), { recursive: true });
writeFileSync(join(client, 'index.html'), '<!doctype html><title>Kindred</title><div id="root"></div>');
writeFileSync(join(client, 'assets', 'index-abc123.js'), 'console.log(1)');
// What the client build writes beside each text file (client/compressAssets.ts); marked so the test sees which was sent.
writeFileSync(join(client, 'assets', 'index-abc123.js.br'), 'BROTLI');
writeFileSync(join(client, 'assets', 'index-abc123.js.gz'), 'GZIP');
writeFileSync(join(client, 'robots.txt'), 'User-agent: *');

const baseConfig = (overrides: Partial<Config> = {}): Config =>
  defaultConfig({ port: 0, dataDir: IN_MEMORY, clientDir: noClient, logLevel: 'silent', ...overrides });

/** Captures every log line the app writes. */
function logSink(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const apps: KindredApp[] = [];
async function build(overrides: Partial<Config> = {}, opts: Parameters<typeof buildApp>[1] = {}): Promise<KindredApp> {
  const k = await buildApp(baseConfig(overrides), opts);
  apps.push(k);
  return k;
}

afterAll(async () => {
  for (const k of apps) await k.close();
  rmSync(tmp, { recursive: true, force: true });
});

const errorShape = (code: string) => ({ error: { code, message: expect.any(String) as unknown } });

describe('HTTP: health, errors, headers', () => {
  let k: KindredApp;
  beforeAll(async () => {
    k = await build();
  });

  it('GET /healthz answers 200 {status: ok} while storage answers', async () => {
    const r = await k.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ status: 'ok' });
  });

  it('sends the security headers on every response, including errors', async () => {
    for (const url of ['/healthz', '/nowhere', '/healthz?x=1', '/']) {
      const r = await k.app.inject({ method: 'GET', url });
      expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
      expect(r.headers['permissions-policy']).toContain('camera=()');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
    const csp = CONTENT_SECURITY_POLICY;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain("'unsafe-eval'");
  });

  it('answers an invalid query with 400 and an unknown route with 404, in the catalogue shape, no stack', async () => {
    const bad = await k.app.inject({ method: 'GET', url: '/healthz?verbose=1' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: { code: 'BAD_REQUEST', message: 'The request did not match the expected format.' } });
    for (const [method, url] of [
      ['GET', '/nowhere'],
      ['POST', '/healthz'],
      ['DELETE', '/metrics'],
      ['GET', '/api/groups'],
    ] as const) {
      const r = await k.app.inject({ method, url, headers: { accept: 'text/html' } });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual(errorShape('NOT_FOUND'));
      expect(r.body).not.toMatch(/at .*\.ts|stack/);
    }
  });

  it('says in plain text that the client is not built', async () => {
    const r = await k.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toBe(CLIENT_NOT_BUILT);
    // Client routes are not served either: there is nothing to fall back to.
    expect((await k.app.inject({ method: 'GET', url: '/join', headers: { accept: 'text/html' } })).statusCode).toBe(404);
  });

  it('sends Strict-Transport-Security only for requests that came over TLS through a trusted proxy', async () => {
    const proxied = await build({ trustProxy: true });
    const tls = await proxied.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(tls.headers['strict-transport-security']).toBe('max-age=15552000; includeSubDomains');
    const plain = await proxied.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'http' } });
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // Without trustProxy the header is a client's claim, not a fact.
    const untrusted = await k.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
    const off = await build({ trustProxy: true, hstsMaxAgeSeconds: 0 });
    const none = await off.app.inject({ method: 'GET', url: '/healthz', headers: { 'x-forwarded-proto': 'https' } });
    expect(none.headers['strict-transport-security']).toBeUndefined();
  });

  it('GET /healthz answers 503 when storage does not answer', async () => {
    const storage = createSqliteStorage(':memory:');
    await storage.migrate();
    const broken = await build({}, { storage });
    await storage.close();
    const r = await broken.app.inject({ method: 'GET', url: '/healthz' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual(errorShape('UNAVAILABLE'));
  });
});

describe('GET /metrics', () => {
  it('exposes the kindred metrics in Prometheus format, with no label but the error code', async () => {
    const k = await build();
    k.metrics.refused('RATE_LIMITED');
    k.metrics.refused('RATE_LIMITED');
    k.metrics.relayed(1000);
    k.metrics.relayed(24);
    k.metrics.sessionLive(1);
    const groupId = fakeOpaqueId();
    const creator = fakeMemberId();
    await k.storage.createGroup({ groupId, creator, genesis: fakeGenesis(groupId, creator), genesisHash: fakeHash() });

    const r = await k.app.inject({ method: 'GET', url: '/metrics' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const lines = r.body.split('\n');
    expect(lines).toContain('kindred_events_refused_total{code="RATE_LIMITED"} 2');
    expect(lines).toContain('kindred_messages_relayed_total 2');
    expect(lines).toContain('kindred_bytes_relayed_total 1024');
    expect(lines).toContain('kindred_sessions_live 1');
    expect(lines).toContain('kindred_connections 0');
    expect(lines).toContain('kindred_roster_entries_total 1');
    expect(r.body).toContain('process_cpu_user_seconds_total');
    // No metric of ours carries a label that could name a person or a group.
    for (const line of lines.filter((l) => l.startsWith('kindred_'))) {
      const labels = /\{(.*)\}/.exec(line)?.[1];
      if (labels !== undefined) expect(labels).toMatch(/^code="[A-Z_]+"$/);
    }
    expect(r.body).not.toContain(groupId);
    expect(r.body).not.toContain(creator);
  });

  it('keeps one registry per app', async () => {
    const a = await build();
    const b = await build();
    a.metrics.relayed(5);
    const rb = await b.app.inject({ method: 'GET', url: '/metrics' });
    expect(rb.body.split('\n')).toContain('kindred_messages_relayed_total 0');
  });
});

describe('the built web client', () => {
  let k: KindredApp;
  beforeAll(async () => {
    k = await build({ clientDir: client });
  });

  it('serves index.html at / with no-store and the CSP', async () => {
    const r = await k.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body).toContain('<div id="root">');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
  });

  it('lets hashed assets be cached and other files be revalidated', async () => {
    const asset = await k.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const robots = await k.app.inject({ method: 'GET', url: '/robots.txt' });
    expect(robots.headers['cache-control']).toBe('no-cache');
  });

  it('sends the precompressed copy the browser accepts (brotli first), with Vary, and the plain file otherwise', async () => {
    const url = '/assets/index-abc123.js';
    const br = await k.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.rawPayload.toString()).toBe('BROTLI');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const gz = await k.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.toString()).toBe('GZIP');
    const plain = await k.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe('console.log(1)');
  });

  it('falls back to index.html for client routes that want HTML, and only for those', async () => {
    const page = await k.app.inject({ method: 'GET', url: '/group/abc?x=1', headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.headers['cache-control']).toBe('no-store');

    const notHtml = await k.app.inject({ method: 'GET', url: '/assets/missing.js', headers: { accept: '*/*' } });
    expect(notHtml.statusCode).toBe(404);
    expect(notHtml.json()).toEqual(errorShape('NOT_FOUND'));
    for (const url of ['/api/x', '/healthz/deep', '/metrics/x', '/socket.io/x']) {
      const r = await k.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
      expect(r.statusCode, url).toBe(404);
      expect(r.json()).toEqual(errorShape('NOT_FOUND'));
    }
    const post = await k.app.inject({ method: 'POST', url: '/group/abc', headers: { accept: 'text/html' } });
    expect(post.statusCode).toBe(404);
  });
});

describe('logs', () => {
  it('carry neither query strings nor bodies, even at trace level', async () => {
    const sink = logSink();
    const k = await build({ logLevel: 'trace' }, { logStream: sink.stream });
    await k.app.inject({ method: 'GET', url: '/healthz?canary=SECRET-QUERY-1' });
    await k.app.inject({ method: 'POST', url: '/nowhere', payload: { text: 'SECRET-BODY-2' } });
    await k.app.inject({ method: 'GET', url: '/group/SECRET-PATH-3' });
    k.log.info({ payload: 'SECRET-PAYLOAD-4', nested: { envelope: 'SECRET-ENVELOPE-5' } }, 'test line');
    const text = sink.text();
    expect(text).toContain('"route":"/healthz"');
    expect(text).toContain('test line');
    expect(text).not.toMatch(/SECRET-/);
  });
});

describe('Socket.IO on the same server', () => {
  let k: KindredApp;
  let url: string;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    k = await build();
    await k.app.listen({ port: 0, host: '127.0.0.1' });
    const address = k.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    url = `http://127.0.0.1:${address.port}`;
  });
  afterAll(() => {
    for (const s of sockets) s.disconnect();
  });

  const open = (transports: ('websocket' | 'polling')[]): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(url, { path: '/socket.io', transports, reconnection: false, forceNew: true, auth: { protocol: PROTOCOL_VERSION } });
      sockets.push(s);
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });

  async function gauge(name: string): Promise<number> {
    const body = await k.metrics.render();
    const line = body.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1]);
  }

  it("configures Socket.IO from the config: path, size cap, no compression, no Socket.IO recovery (the relay's own bounded buffer resumes)", () => {
    expect(k.io.path()).toBe('/socket.io');
    expect(k.io.engine.opts).toMatchObject({ maxHttpBufferSize: 262144, perMessageDeflate: false, httpCompression: false, transports: ['websocket', 'polling'] });
    expect((k.io as unknown as { opts: { connectionStateRecovery?: unknown } }).opts.connectionStateRecovery).toBeUndefined(); // opts is not in socket.io's public types
  });

  it('accepts WebSocket and polling connections on port 0 and counts them', async () => {
    const ws = await open(['websocket']);
    const polling = await open(['polling']);
    expect(ws.connected && polling.connected).toBe(true);
    await vi.waitFor(async () => expect(await gauge('kindred_connections')).toBe(2));
    ws.disconnect();
    await vi.waitFor(async () => expect(await gauge('kindred_connections')).toBe(1));
    // The health endpoint is still plain HTTP beside the socket.
    const r = await fetch(`${url}/healthz`);
    expect(r.status).toBe(200);
  });

  it('refuses a client that states another protocol version, or none, at connect (CLIENT_OUTDATED), and states its own', async () => {
    const refusal = (auth: Record<string, unknown> | undefined): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const s = connect(url, { path: '/socket.io', transports: ['websocket'], reconnection: false, forceNew: true, ...(auth ? { auth } : {}) });
        sockets.push(s);
        s.once('connect', () => reject(new Error('connected')));
        s.once('connect_error', (err: Error & { data?: unknown }) => resolve(err.data));
      });
    const outdated = { code: 'CLIENT_OUTDATED', message: 'This app is out of date for this relay; reload the page to update it.' };
    expect(await refusal(undefined)).toEqual(outdated); // a client from before version 2 states nothing
    expect(await refusal({ protocol: 1 })).toEqual(outdated);
    expect(await refusal({ protocol: PROTOCOL_VERSION + 1 })).toEqual(outdated);
    expect(await refusal({ protocol: String(PROTOCOL_VERSION) })).toEqual(outdated);
    // The relay states its version in the challenge answer (the client refuses a relay that does not: RELAY_OUTDATED).
    const s = await open(['websocket']);
    const answer = (await s.timeout(5_000).emitWithAck('auth.challenge', {})) as { ok: boolean; protocol?: number };
    expect(answer).toMatchObject({ ok: true, protocol: PROTOCOL_VERSION });
    s.disconnect();
  });

  it('close() drops sockets (so clients reconnect) and stops listening', async () => {
    const s = await open(['websocket']);
    const disconnected = new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)));
    await k.close();
    // A transport close, not a server disconnect: clients reconnect on their own (to another node, or this one
    // once it is back), which is what a restart should look like to them.
    expect(await disconnected).toBe('transport close');
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    await k.close(); // idempotent
  });
});
