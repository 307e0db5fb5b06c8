/** @kindred/server: the relay as a library, for integration tests and benchmarks (main.ts is the executable). */
export { buildApp } from './app';
export type { BuildAppOptions, KindredApp, KindredIo } from './app';
export { loadConfig, defaultConfig, ConfigError, CONFIG_VARIABLES, IN_MEMORY, DEFAULT_CLIENT_DIR } from './config';
export type { Config, LogLevel, RateLimit } from './config';
export { createMetrics } from './metrics';
export type { Metrics } from './metrics';
export { openStorage } from './storage/createStorage';
export { createSqliteStorage } from './storage/sqliteStorage';
export { createPostgresStorage } from './storage/postgresStorage';
export type { PostgresStorageOptions } from './storage/postgresStorage';
export type { Storage, StoredInvite } from './storage/storage';
export type { RelayDeps, RelayHandle } from './relay';
export { ProtocolRefusal } from './relay/protocolGate';
// Test support: where the adapter's messages travel (the multi-node tests place sessions on Redis Cluster shards).
export { roomChannel, sharedChannel } from './relay/shardedAdapter';
export { rooms } from './relay/rooms';
