/**
 * Names of the relay's own Redis keys and of the adapter's channels, under the deployment's prefix
 * (KINDRED_REDIS_PREFIX, which holds no braces). Every key of a group carries the hash tag `{<groupId>}`, so all the
 * keys of one group (its session's seq, buffers, sealed keys, away markers, and anything kept per group) hash to one
 * Redis Cluster slot: a Lua script or a MULTI naming several of them runs on one shard, and a group's state moves
 * between shards as a whole. Group ids are base64url, so they never hold a brace themselves.
 */

/** `<prefix>g:{<groupId>}:`: the base of keys kept for a group as a whole. */
export function groupKeyBase(prefix: string, groupId: string): string {
  return `${prefix}g:{${groupId}}:`;
}

/** `<prefix>s:{<groupId>}:<sessionId>:`: the base of a live session's keys (redisSessionLog.ts), in its group's slot. */
export function sessionKeyBase(prefix: string, groupId: string, sessionId: string): string {
  return `${prefix}s:{${groupId}}:${sessionId}:`;
}

/**
 * The Socket.IO adapter's channel prefix. Channels carry no hash tag on purpose: sharded pub/sub spreads each room's
 * channel over the shards by its own name.
 */
export function adapterChannelPrefix(prefix: string): string {
  return `${prefix}sio`;
}
