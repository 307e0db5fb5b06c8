import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CLIENT_DIR, IN_MEMORY, defaultConfig, loadConfig } from './config';

function issuesOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env, '/srv/kindred');
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({}, '/srv/kindred');
    expect(c).toEqual({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/srv/kindred/.kindred-data',
      databaseUrl: undefined,
      redisUrl: undefined,
      redisCluster: false,
      redisNodeMap: undefined,
      redisKeyPrefix: 'kindred:',
      clientDir: DEFAULT_CLIENT_DIR,
      logLevel: 'info',
      maxPayloadBytes: 131072,
      rateLimit: { perSecond: 20, burst: 40 },
      bufferTtlSeconds: 120,
      bufferMaxMessages: 500,
      bufferMaxBytes: 4194304,
      trustProxy: false,
      hstsMaxAgeSeconds: 15552000,
    });
    expect(DEFAULT_CLIENT_DIR.replaceAll('\\', '/')).toMatch(/\/client\/dist$/);
  });

  it('reads every variable', () => {
    const c = loadConfig(
      {
        KINDRED_PORT: '0',
        KINDRED_HOST: '0.0.0.0',
        KINDRED_DATA_DIR: 'data',
        KINDRED_DATABASE_URL: 'postgres://u:p@db:5432/kindred',
        KINDRED_REDIS_URL: 'redis://cache:6379',
        KINDRED_REDIS_CLUSTER: 'yes',
        KINDRED_REDIS_NODE_MAP: '{"10.0.0.1:7000":"127.0.0.1:17000","::1:7001":"[::1]:17001"}',
        KINDRED_REDIS_PREFIX: 'site-a:',
        KINDRED_CLIENT_DIR: '/opt/web',
        KINDRED_LOG_LEVEL: 'warn',
        KINDRED_MAX_PAYLOAD_BYTES: '65536',
        KINDRED_RATE_LIMIT: '5',
        KINDRED_BUFFER_TTL_SECONDS: '0',
        KINDRED_BUFFER_MAX_MESSAGES: '10',
        KINDRED_BUFFER_MAX_BYTES: '65536',
        KINDRED_TRUST_PROXY: 'TRUE',
        KINDRED_HSTS_MAX_AGE_SECONDS: '0',
        UNRELATED: 'ignored',
      },
      '/srv/kindred',
    );
    expect(c).toMatchObject({
      port: 0,
      host: '0.0.0.0',
      dataDir: '/srv/kindred/data',
      databaseUrl: 'postgres://u:p@db:5432/kindred',
      redisUrl: 'redis://cache:6379',
      redisCluster: true,
      redisNodeMap: new Map([
        ['10.0.0.1:7000', { host: '127.0.0.1', port: 17000 }],
        ['::1:7001', { host: '::1', port: 17001 }],
      ]),
      redisKeyPrefix: 'site-a:',
      clientDir: '/opt/web',
      logLevel: 'warn',
      maxPayloadBytes: 65536,
      rateLimit: { perSecond: 5, burst: 10 },
      bufferTtlSeconds: 0,
      bufferMaxMessages: 10,
      bufferMaxBytes: 65536,
      trustProxy: true,
      hstsMaxAgeSeconds: 0,
    });
    expect(loadConfig({ KINDRED_RATE_LIMIT: '30,90', KINDRED_DATA_DIR: IN_MEMORY })).toMatchObject({
      rateLimit: { perSecond: 30, burst: 90 },
      dataDir: IN_MEMORY,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ KINDRED_PORT: '', KINDRED_DATABASE_URL: ' ' }, '/x')).toMatchObject({ port: 8080, databaseUrl: undefined });
  });

  it('names each bad variable with a clear reason, all at once', () => {
    const issues = issuesOf({
      KINDRED_PORT: '80a',
      KINDRED_LOG_LEVEL: 'loud',
      KINDRED_MAX_PAYLOAD_BYTES: '10',
      KINDRED_RATE_LIMIT: '10,5',
      KINDRED_TRUST_PROXY: 'maybe',
      KINDRED_BUFFER_TTL_SECONDS: '86400',
      KINDRED_HOST: 'a b',
    });
    expect(issues).toHaveLength(7);
    expect(issues).toContain('KINDRED_PORT must be a whole number between 0 and 65535 (got "80a")');
    expect(issues.find((i) => i.startsWith('KINDRED_LOG_LEVEL'))).toMatch(/must be one of fatal, error, warn, info, debug, trace, silent/);
    expect(issues.find((i) => i.startsWith('KINDRED_MAX_PAYLOAD_BYTES'))).toMatch(/must be at least 16384/);
    expect(issues.find((i) => i.startsWith('KINDRED_RATE_LIMIT'))).toMatch(/burst must be at least the rate/);
    expect(issues.find((i) => i.startsWith('KINDRED_TRUST_PROXY'))).toMatch(/must be true or false/);
    expect(issues.find((i) => i.startsWith('KINDRED_BUFFER_TTL_SECONDS'))).toMatch(/must be at most 3600/);
    expect(issues.find((i) => i.startsWith('KINDRED_HOST'))).toMatch(/host name or an IP address/);
    expect(issuesOf({ KINDRED_PORT: '70000' })).toEqual(['KINDRED_PORT must be at most 65535 (got "70000")']);
    expect(issuesOf({ KINDRED_RATE_LIMIT: 'fast' })[0]).toMatch(/^KINDRED_RATE_LIMIT must be "RATE" or "RATE,BURST"/);
  });

  it('wants room in the reconnect buffer for the largest message', () => {
    expect(issuesOf({ KINDRED_BUFFER_MAX_BYTES: '65536' })).toEqual([
      'KINDRED_BUFFER_MAX_BYTES must be at least KINDRED_MAX_PAYLOAD_BYTES (131072), so that any message fits in the buffer (got 65536)',
    ]);
    expect(loadConfig({ KINDRED_BUFFER_MAX_BYTES: '65536', KINDRED_MAX_PAYLOAD_BYTES: '65536' }).bufferMaxBytes).toBe(65536);
  });

  it('wants a seed node for a Redis Cluster', () => {
    expect(issuesOf({ KINDRED_REDIS_CLUSTER: 'true' })).toEqual([
      'KINDRED_REDIS_CLUSTER needs KINDRED_REDIS_URL (one node of the Redis Cluster, e.g. redis://10.0.0.1:7000)',
    ]);
    expect(issuesOf({ KINDRED_REDIS_CLUSTER: 'sometimes' })[0]).toMatch(/^KINDRED_REDIS_CLUSTER must be true or false/);
  });

  it('wants a Redis Cluster address map as JSON "host:port" to "host:port", on a cluster only', () => {
    const cluster = { KINDRED_REDIS_URL: 'redis://10.0.0.1:7000', KINDRED_REDIS_CLUSTER: 'true' };
    const issue = (map: string): string | undefined => issuesOf({ ...cluster, KINDRED_REDIS_NODE_MAP: map })[0];
    expect(issue('10.0.0.1:7000=127.0.0.1:17000')).toMatch(/^KINDRED_REDIS_NODE_MAP must be a JSON object/);
    expect(issue('["10.0.0.1:7000"]')).toMatch(/^KINDRED_REDIS_NODE_MAP must be a JSON object/);
    expect(issue('{}')).toMatch(/^KINDRED_REDIS_NODE_MAP must map at least one address/);
    expect(issue('{"10.0.0.1":"127.0.0.1:17000"}')).toMatch(/^KINDRED_REDIS_NODE_MAP key "10.0.0.1" must be "host:port"/);
    expect(issue('{"10.0.0.1:7000":"127.0.0.1:70000"}')).toMatch(/^KINDRED_REDIS_NODE_MAP value of "10.0.0.1:7000" must be "host:port"/);
    expect(issue('{"10.0.0.1:7000":17000}')).toMatch(/^KINDRED_REDIS_NODE_MAP value of "10.0.0.1:7000" must be "host:port"/);
    expect(issuesOf({ KINDRED_REDIS_URL: 'redis://cache:6379', KINDRED_REDIS_NODE_MAP: '{"a:1":"b:2"}' })).toEqual([
      'KINDRED_REDIS_NODE_MAP needs KINDRED_REDIS_CLUSTER=true (it maps the addresses a Redis Cluster announces)',
    ]);
    expect(loadConfig({ ...cluster, KINDRED_REDIS_NODE_MAP: ' ' }).redisNodeMap).toBeUndefined();
  });

  it('never echoes a database or Redis URL, which may hold a password', () => {
    const issues = issuesOf({ KINDRED_DATABASE_URL: 'mysql://root:hunter2@db/x', KINDRED_REDIS_URL: 'http://:hunter2@cache' });
    expect(issues).toEqual([
      'KINDRED_DATABASE_URL must be a URL starting with postgres:// or postgresql://',
      'KINDRED_REDIS_URL must be a URL starting with redis:// or rediss://',
    ]);
    let message = '';
    try {
      loadConfig({ KINDRED_DATABASE_URL: 'mysql://root:hunter2@db/x' });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Invalid Kindred configuration:\n {2}- KINDRED_DATABASE_URL/);
    expect(message).not.toContain('hunter2');
  });

  it('defaultConfig applies overrides over the defaults, ignoring the environment', () => {
    expect(defaultConfig({ port: 0, dataDir: IN_MEMORY })).toMatchObject({ port: 0, dataDir: IN_MEMORY, host: '127.0.0.1' });
  });
});
