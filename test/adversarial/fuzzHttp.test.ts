/**
 * The relay's HTTP side under bad input: /healthz, /metrics, the static client (a small built client in a temporary
 * directory), the Socket.IO endpoint and unknown paths, with weird methods, bodies, headers and paths, from a seed
 * (through Fastify's inject) and as raw bytes on a TCP socket (request lines and headers no HTTP client would send).
 * What must hold: a clear 4xx (or the route's own 2xx/3xx), never a 5xx, never a stack; error bodies are the
 * catalogue's `{ error: { code, message } }`; the relay keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_SENTENCES, isErrorCode } from '@kindred/shared/errors';
import { startRelay, type RelayUnderTest } from '../support/relayUnderTest';
import { Prng, fuzzSeed } from '../support/prng';

const SEED = fuzzSeed(0x68747470);
const CASES = 800;

const STACK = /\n\s+at |at [\w.<>]+ \(|\.ts:\d+|node_modules|Error: /;

/**
 * Fastify's own answer to a URL that is not valid percent-encoding (FST_ERR_BAD_URL): a clear 400, but not the
 * catalogue's shape and it echoes the URL. Left out of the seeded run so that other findings stay visible; the
 * dedicated test below fails until server/src/app.ts handles it (see docs/SECURITY-TESTS.md).
 */
const KNOWN_NON_CATALOGUE = /FST_ERR_BAD_URL/;

type InjectMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'OPTIONS' | 'SEARCH' | 'PROPFIND' | 'LOCK' | 'TRACE';

function checkResponse(what: string, status: number, body: string, contentType: string | undefined): string | null {
  if (status >= 500) return `${what}: ${status}`;
  if (STACK.test(body)) return `${what}: a stack or source path in the body`;
  if (status >= 400 && body !== '' && (contentType ?? '').includes('json') && !KNOWN_NON_CATALOGUE.test(body)) {
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(body) as typeof parsed;
    } catch {
      return `${what}: a JSON error body that does not parse`;
    }
    const code = parsed.error?.code;
    if (!isErrorCode(code) || parsed.error?.message !== ERROR_SENTENCES[code]) return `${what}: not a catalogue error body`;
  }
  return null;
}

/** Sends raw bytes and returns the status line's code (0 when the server just closed). */
function rawHttp(port: number, bytes: string | Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    const done = (): void => {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    socket.on('close', done);
    socket.on('error', () => undefined);
    socket.write(bytes);
    // A well-formed request leaves the connection open (keep-alive): end our side after a moment.
    setTimeout(() => socket.end(), 300);
  });
}

describe(`HTTP routes under bad input (seed ${SEED})`, () => {
  let relay: RelayUnderTest;
  let clientDir: string;

  beforeAll(async () => {
    console.log(`[fuzzHttp] seed ${SEED} (replay: KINDRED_FUZZ_SEED=${SEED})`);
    clientDir = mkdtempSync(join(tmpdir(), 'kindred-client-'));
    mkdirSync(join(clientDir, 'assets'));
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><title>Kindred</title>');
    writeFileSync(join(clientDir, 'assets', 'app-1234.js'), 'console.log(1)');
    relay = await startRelay({ storage: 'memory', record: false, config: { clientDir } });
  });

  afterAll(async () => {
    await relay?.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it('answers seeded requests with weird methods, paths, headers and bodies without a 5xx or a stack', async () => {
    const rng = new Prng(SEED);
    const methods: InjectMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'SEARCH', 'PROPFIND', 'LOCK', 'TRACE'];
    const paths = [
      '/healthz', '/metrics', '/', '/index.html', '/assets/app-1234.js', '/assets/missing.js', '/unknown', '/api/x', '/socket.io/',
      '/socket.io/?EIO=3&transport=polling', '/socket.io/?EIO=4&transport=polling', '/socket.io/?EIO=4&transport=websocket', '/socket.io/?EIO=4&transport=polling&sid=nope',
      '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fpackage.json', '/%00', '/%ff%fe', '/healthz?x=1', '/metrics?__proto__[a]=1',
      '/healthz/', '//healthz', '/HEALTHZ', `/${'a'.repeat(8_000)}`, '/?constructor=1&constructor=2', '/room?%E0%A4%A=1', '/\u00e9', '/invite#k1.abc',
    ];
    const bodies: (string | Buffer | undefined)[] = [
      undefined, '', '{}', '{"__proto__":{"polluted":true}}', '{"constructor":{"prototype":{"x":1}}}', '{bad json', '[]', 'null',
      '"\\ud800"', Buffer.from([0xc3, 0x28, 0xff]), 'a=1&b=2', 'x'.repeat(200_000), `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    ];
    const contentTypes = [undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', '*/*', 'application/\u00e9'];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < CASES; i++) {
      const method = rng.pick(methods);
      const url = rng.pick(paths);
      const body = method === 'GET' || method === 'HEAD' ? (rng.bool(0.1) ? rng.pick(bodies) : undefined) : rng.pick(bodies);
      const headers: Record<string, string> = {};
      const ct = rng.pick(contentTypes);
      if (ct) headers['content-type'] = ct;
      if (rng.bool(0.3)) headers.accept = rng.pick(['text/html', 'application/json', '*/*', '']);
      if (rng.bool(0.1)) headers['x-forwarded-proto'] = 'https';
      if (rng.bool(0.1)) headers['x-request-id'] = '../../etc';
      if (rng.bool(0.05)) headers['accept-encoding'] = 'gzip, br, zstd, \u00e9';
      if (rng.bool(0.05)) headers.range = rng.pick(['bytes=0-1', 'bytes=999999-', 'bytes=-', 'lines=1-2']);
      if (rng.bool(0.05)) headers['if-none-match'] = '"x"';
      const res = await relay.app.app.inject({ method, url, headers, ...(body !== undefined ? { payload: body } : {}) });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      const problem = checkResponse(`${method} ${url.slice(0, 60)} (case ${i}, seed ${SEED})`, res.statusCode, res.body, res.headers['content-type'] as string | undefined);
      if (problem) failures.push(problem);
    }
    console.log(`[fuzzHttp] ${CASES} requests; statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(0);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    expect(await relay.health()).toBe(200);
  });

  it('answers a URL with invalid percent-encoding with the catalogue body, without echoing the URL', async () => {
    const res = await relay.app.app.inject({ method: 'GET', url: '/%ff%fe' });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('%ff');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'BAD_REQUEST', message: ERROR_SENTENCES.BAD_REQUEST } });
  });

  it('answers raw malformed HTTP on the real socket with a 4xx or a close, never a 5xx', async () => {
    const cases: [string, string | Buffer][] = [
      ['garbage request line', 'HELLO\r\n\r\n'],
      ['unknown method', 'BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['HTTP/2 preface on HTTP/1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      ['no Host', 'GET /healthz HTTP/1.1\r\n\r\n'],
      ['two Content-Length', 'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
      ['Content-Length and chunked', 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['bad chunk size', 'POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nab\r\n0\r\n\r\n'],
      ['negative Content-Length', 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'],
      ['header too large', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`],
      ['header without colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nnocolon\r\n\r\n'],
      ['control bytes in the path', Buffer.concat([Buffer.from('GET /he'), Buffer.from([0, 7, 0x7f]), Buffer.from('althz HTTP/1.1\r\nHost: x\r\n\r\n')])],
      ['absolute-form URL', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['asterisk-form', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['CONNECT', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n'],
      ['HTTP/0.9', 'GET /healthz\r\n\r\n'],
      ['websocket upgrade to an unknown path', 'GET /other HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n'],
      ['websocket upgrade without a key', 'GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
      ['body larger than the limit', `POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n${'{'.repeat(400_000)}`],
    ];
    const seen: string[] = [];
    for (const [name, bytes] of cases) {
      const { status, text } = await rawHttp(relay.port, bytes);
      seen.push(`${name}: ${status || 'closed'}`);
      expect(status < 500, `${name}: ${status}`).toBe(true);
      expect(STACK.test(text), `${name}: stack in the answer`).toBe(false);
      expect(await relay.health(), `after ${name}`).toBe(200);
    }
    console.log(`[fuzzHttp] raw: ${seen.join('; ')}`);
  });
});
