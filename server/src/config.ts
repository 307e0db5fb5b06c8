/**
 * The relay's configuration: environment variables, validated once at start-up with zod so a bad value stops the
 * relay with one clear line per variable instead of surfacing later as a strange failure. `buildApp` takes the
 * resulting `Config`; tests build one with `defaultConfig({ ...overrides })`.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The SQLite file name inside KINDRED_DATA_DIR. */
export const SQLITE_FILE_NAME = 'kindred.sqlite';
/** KINDRED_DATA_DIR value that selects an in-memory SQLite database (tests; nothing survives a restart). */
export const IN_MEMORY = ':memory:';

export interface RateLimit {
  /** Sustained events per second per connection (token-bucket refill rate). */
  perSecond: number;
  /** Events a connection may send at once before the rate applies (token-bucket size). */
  burst: number;
}

export interface Config {
  port: number;
  host: string;
  /** Directory of the SQLite file, or ':memory:'. Ignored when `databaseUrl` is set. */
  dataDir: string;
  /** postgres:// URL: selects PostgreSQL instead of SQLite. Never logged (it may hold a password). */
  databaseUrl: string | undefined;
  /** redis:// URL: enables the Socket.IO Redis adapter (several relay nodes). Never logged. */
  redisUrl: string | undefined;
  /**
   * `redisUrl` names one node of a Redis Cluster (any master): the client discovers the others and sends each key
   * and channel to the shard that owns it. The URL's credentials and TLS apply to every node.
   */
  redisCluster: boolean;
  /**
   * Where to reach each Redis Cluster node, by the address the cluster gives for it ("host:port" as in CLUSTER SLOTS):
   * for nodes that announce an address this relay cannot reach directly (NAT, a container network, a TCP proxy in
   * between). Unset: every node at the address it announces.
   */
  redisNodeMap: ReadonlyMap<string, RedisNodeAddress> | undefined;
  /**
   * Prefix of every Redis key, stream and channel this relay uses (several deployments or test runs can share one
   * Redis). Nodes of one cluster must use the same prefix.
   */
  redisKeyPrefix: string;
  /** Directory of the built web client (index.html and assets). */
  clientDir: string;
  logLevel: LogLevel;
  /** Largest Socket.IO message (and HTTP body) accepted, in bytes. */
  maxPayloadBytes: number;
  rateLimit: RateLimit;
  /** How long the relay keeps relayed ciphertext for a reconnecting client; 0 turns the buffer off. */
  bufferTtlSeconds: number;
  /** Most messages kept per session in that buffer. */
  bufferMaxMessages: number;
  /** Most bytes of envelopes kept per session in that buffer (at least maxPayloadBytes, so any message fits). */
  bufferMaxBytes: number;
  /** Trust X-Forwarded-* from a reverse proxy (needed to know a request came over TLS). */
  trustProxy: boolean;
  /** max-age of Strict-Transport-Security, sent only on requests that arrived over TLS; 0 never sends it. */
  hstsMaxAgeSeconds: number;
}

/** One Redis server's address, as a client connects to it. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** client/dist of this checkout: server/src/config.ts -> ../../client/dist. */
export const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** A configuration problem found at start-up; `issues` has one sentence per bad variable. Never crosses the wire. */
export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid Kindred configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const urlWithScheme = (schemes: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return schemes.includes(u.protocol) && u.hostname !== '';
      } catch {
        return false;
      }
    }, `must be a URL starting with ${schemes.map((s) => `${s}//`).join(' or ')}`);

/** "RATE" or "RATE,BURST": events per second per connection, and the burst (default twice the rate). */
const rateLimit = z
  .string()
  .trim()
  .regex(/^\d+(,\d+)?$/, 'must be "RATE" or "RATE,BURST" (events per second per connection, burst size), e.g. "20,40"')
  .transform((v): RateLimit => {
    const [rate, burst] = v.split(',').map(Number) as [number, number | undefined];
    return { perSecond: rate, burst: burst ?? rate * 2 };
  })
  .pipe(
    z.strictObject({
      perSecond: z.number().int().min(1, 'rate must be at least 1 event per second').max(10_000, 'rate must be at most 10000'),
      burst: z.number().int().min(1, 'burst must be at least 1').max(100_000, 'burst must be at most 100000'),
    }),
  )
  .refine((r) => r.burst >= r.perSecond, 'burst must be at least the rate');

/** "host:port" (an IPv6 host in brackets, or bare as Redis announces it: the port follows the last colon). */
function hostPort(v: string): RedisNodeAddress | undefined {
  const m = /^(\S+):(\d{1,5})$/.exec(v);
  if (!m?.[1] || !m[2]) return undefined;
  const host = m[1].replace(/^\[(.*)\]$/, '$1');
  const port = Number(m[2]);
  return host !== '' && port >= 1 && port <= 65_535 ? { host, port } : undefined;
}

/** A JSON object from the address a Redis Cluster node announces to the address to connect to, both "host:port". */
const redisNodeMap = z
  .string()
  .trim()
  .transform((v, ctx): ReadonlyMap<string, RedisNodeAddress> => {
    const fail = (message: string): ReadonlyMap<string, RedisNodeAddress> => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      return fail('must be a JSON object such as {"10.0.0.1:7000":"127.0.0.1:17000"}');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail('must be a JSON object such as {"10.0.0.1:7000":"127.0.0.1:17000"}');
    const map = new Map<string, RedisNodeAddress>();
    for (const [from, to] of Object.entries(parsed)) {
      if (!hostPort(from)) return fail(`key ${JSON.stringify(from)} must be "host:port"`);
      const address = typeof to === 'string' ? hostPort(to) : undefined;
      if (!address) return fail(`value of ${JSON.stringify(from)} must be "host:port"`);
      map.set(from, address);
    }
    return map.size > 0 ? map : fail('must map at least one address');
  });

/**
 * Each variable with its schema and its default (as the string a person would write). Defaults are chosen for
 * one relay on one machine: `pnpm start` and nothing else.
 */
const VARIABLES = {
  KINDRED_PORT: { schema: intIn(0, 65_535), fallback: '8080' },
  // 127.0.0.1, not 0.0.0.0: the relay speaks plain HTTP and belongs behind a TLS reverse proxy on the same host;
  // listening on every interface is an explicit choice (KINDRED_HOST=0.0.0.0, e.g. inside a container).
  KINDRED_HOST: { schema: z.string().trim().min(1, 'must not be empty').max(255).regex(/^[A-Za-z0-9.:_-]+$/, 'must be a host name or an IP address'), fallback: '127.0.0.1' },
  KINDRED_DATA_DIR: { schema: z.string().trim().min(1, 'must not be empty'), fallback: './.kindred-data' },
  KINDRED_DATABASE_URL: { schema: urlWithScheme(['postgres:', 'postgresql:']).optional(), fallback: undefined },
  KINDRED_REDIS_URL: { schema: urlWithScheme(['redis:', 'rediss:']).optional(), fallback: undefined },
  KINDRED_REDIS_CLUSTER: { schema: bool, fallback: 'false' },
  KINDRED_REDIS_NODE_MAP: { schema: redisNodeMap.optional(), fallback: undefined },
  KINDRED_REDIS_PREFIX: {
    schema: z.string().trim().regex(/^[A-Za-z0-9:._-]{1,64}$/, 'must be 1 to 64 letters, digits or : . _ -'),
    fallback: 'kindred:',
  },
  KINDRED_CLIENT_DIR: { schema: z.string().trim().min(1, 'must not be empty'), fallback: DEFAULT_CLIENT_DIR },
  KINDRED_LOG_LEVEL: { schema: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`), fallback: 'info' },
  // 128 KiB: the largest envelope (70,000 bytes of ciphertext, base64url) with its header fits with room to spare.
  KINDRED_MAX_PAYLOAD_BYTES: { schema: intIn(16 * 1024, 16 * 1024 * 1024), fallback: String(128 * 1024) },
  KINDRED_RATE_LIMIT: { schema: rateLimit, fallback: '20,40' },
  // Short on purpose (SECURITY.md 8): enough to ride out a network blip, not a transcript.
  KINDRED_BUFFER_TTL_SECONDS: { schema: intIn(0, 3600), fallback: '120' },
  KINDRED_BUFFER_MAX_MESSAGES: { schema: intIn(0, 100_000), fallback: '500' },
  // 4 MiB: 500 messages of the common size (~1 KB of JSON) with room to spare, or 32 of the largest.
  KINDRED_BUFFER_MAX_BYTES: { schema: intIn(16 * 1024, 1024 * 1024 * 1024), fallback: String(4 * 1024 * 1024) },
  KINDRED_TRUST_PROXY: { schema: bool, fallback: 'false' },
  KINDRED_HSTS_MAX_AGE_SECONDS: { schema: intIn(0, 2 * 365 * 24 * 3600), fallback: String(180 * 24 * 3600) },
} as const;

export type ConfigVariable = keyof typeof VARIABLES;
export const CONFIG_VARIABLES = Object.keys(VARIABLES) as ConfigVariable[];

/** Variables whose value may hold a secret (a password in a URL): their value is never echoed in an error. */
const SECRET: ReadonlySet<ConfigVariable> = new Set(['KINDRED_DATABASE_URL', 'KINDRED_REDIS_URL']);

type Parsed = { [K in ConfigVariable]: z.output<(typeof VARIABLES)[K]['schema']> };

/**
 * Reads and validates the KINDRED_* variables of `env` (normally `process.env`). Unset or empty variables take
 * their default. Throws ConfigError listing every bad variable at once. Relative paths resolve against `cwd`.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): Config {
  const issues: string[] = [];
  const out: Partial<Record<ConfigVariable, unknown>> = {};
  for (const name of CONFIG_VARIABLES) {
    const { schema, fallback } = VARIABLES[name];
    const raw = env[name];
    const value = raw === undefined || raw.trim() === '' ? fallback : raw;
    const r = (schema as z.ZodType).safeParse(value);
    if (r.success) {
      out[name] = r.data;
    } else {
      const why = r.error.issues.map((i) => i.message).join('; ');
      const shown = SECRET.has(name) ? '' : ` (got ${JSON.stringify(value)})`;
      issues.push(`${name} ${why}${shown}`);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const v = out as Parsed;
  if (v.KINDRED_BUFFER_MAX_BYTES < v.KINDRED_MAX_PAYLOAD_BYTES) {
    throw new ConfigError([`KINDRED_BUFFER_MAX_BYTES must be at least KINDRED_MAX_PAYLOAD_BYTES (${v.KINDRED_MAX_PAYLOAD_BYTES}), so that any message fits in the buffer (got ${v.KINDRED_BUFFER_MAX_BYTES})`]);
  }
  if (v.KINDRED_REDIS_CLUSTER && v.KINDRED_REDIS_URL === undefined) {
    throw new ConfigError(['KINDRED_REDIS_CLUSTER needs KINDRED_REDIS_URL (one node of the Redis Cluster, e.g. redis://10.0.0.1:7000)']);
  }
  if (v.KINDRED_REDIS_NODE_MAP !== undefined && !v.KINDRED_REDIS_CLUSTER) {
    throw new ConfigError(['KINDRED_REDIS_NODE_MAP needs KINDRED_REDIS_CLUSTER=true (it maps the addresses a Redis Cluster announces)']);
  }
  return {
    port: v.KINDRED_PORT,
    host: v.KINDRED_HOST,
    dataDir: v.KINDRED_DATA_DIR === IN_MEMORY ? IN_MEMORY : resolve(cwd, v.KINDRED_DATA_DIR),
    databaseUrl: v.KINDRED_DATABASE_URL,
    redisUrl: v.KINDRED_REDIS_URL,
    redisCluster: v.KINDRED_REDIS_CLUSTER,
    redisNodeMap: v.KINDRED_REDIS_NODE_MAP,
    redisKeyPrefix: v.KINDRED_REDIS_PREFIX,
    clientDir: resolve(cwd, v.KINDRED_CLIENT_DIR),
    logLevel: v.KINDRED_LOG_LEVEL,
    maxPayloadBytes: v.KINDRED_MAX_PAYLOAD_BYTES,
    rateLimit: v.KINDRED_RATE_LIMIT,
    bufferTtlSeconds: v.KINDRED_BUFFER_TTL_SECONDS,
    bufferMaxMessages: v.KINDRED_BUFFER_MAX_MESSAGES,
    bufferMaxBytes: v.KINDRED_BUFFER_MAX_BYTES,
    trustProxy: v.KINDRED_TRUST_PROXY,
    hstsMaxAgeSeconds: v.KINDRED_HSTS_MAX_AGE_SECONDS,
  };
}

/** The defaults with `overrides` on top, ignoring the environment: for tests and benchmarks. */
export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig({}), ...overrides };
}
