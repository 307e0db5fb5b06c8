/**
 * The streams adapter as a node configures it (streamsAdapter), against the machine's Redis with a key prefix of
 * its own: a node skips the entries it wrote itself before decoding them, and still decodes and handles every other
 * node's. (Members on different nodes chatting through it: test/multinode.)
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Server } from 'socket.io';
import type { RedisClient } from '../redisClient';
import { dropKeysAndClose, testRedis } from '../testServices';
import { streamsAdapter } from './cluster';

const prefix = `kindred-test-adapter-${process.pid}-${randomBytes(4).toString('hex')}:`;

interface AdapterInternals {
  uid: string;
  onRawMessage(raw: { uid: string; nsp: string; type: string; data?: string }, offset: string): void;
  constructor: { decode(raw: unknown): unknown };
}

let redis: RedisClient | undefined;
let io: Server | undefined;

beforeAll(async () => {
  redis = await testRedis('The cluster adapter tests');
  io = new Server(createServer());
  io.adapter(await streamsAdapter(redis, prefix));
  // The adapter subscribes with a client of its own in the background: wait for it, or closing would cut it short.
  const channel = `${prefix}sio#/#`;
  for (let i = 0; i < 100 && (await redis.pubSubNumSub(channel))[channel] === 0; i++) await new Promise((r) => setTimeout(r, 50));
});

afterAll(async () => {
  await io?.close(); // as app.ts closes a node: Socket.IO first, which closes the adapter and its own Redis clients
  if (redis) await dropKeysAndClose(redis, prefix);
});

describe('streamsAdapter', () => {
  it("skips this node's own stream entries without decoding them, and decodes and handles another node's", () => {
    const adapter = io!.of('/').adapter as unknown as AdapterInternals;
    const decode = vi.spyOn(adapter.constructor, 'decode');
    const handled = vi.spyOn(adapter as unknown as { onMessage(m: unknown, o: string): void }, 'onMessage');
    try {
      // A broadcast this node wrote (type 3): what every node reads back from the stream, the writer included.
      adapter.onRawMessage({ uid: adapter.uid, nsp: '/', type: '3', data: '{"packet":{"type":2,"data":["x"]},"opts":{"rooms":[],"except":[]}}' }, '1-0');
      expect(decode).not.toHaveBeenCalled();
      expect(handled).not.toHaveBeenCalled();
      // Another node's heartbeat (type 2): decoded and handled as the adapter always did.
      adapter.onRawMessage({ uid: 'another-node', nsp: '/', type: '2' }, '2-0');
      expect(decode).toHaveBeenCalledTimes(1);
      expect(handled).toHaveBeenCalledWith(expect.objectContaining({ uid: 'another-node', type: 2 }), '2-0');
    } finally {
      decode.mockRestore();
      handled.mockRestore();
    }
  });
});
