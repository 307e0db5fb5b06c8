import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import { RawSocketIo } from './rawSocketIo';

describe('RawSocketIo against a real Socket.IO server', () => {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false });
  let url = '';

  beforeAll(async () => {
    io.on('connection', (socket) => {
      socket.on('echo', (req: unknown, ack: (r: unknown) => void) => ack({ ok: true, req }));
      socket.on('refuse', (_req: unknown, ack: (r: unknown) => void) => ack({ ok: false, error: { code: 'NOPE' } }));
      socket.on('push', (req: unknown) => socket.emit('message', req));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => void io.close(() => resolve()));
  });

  it('connects, gets acks with their body, and hands event frames over as bytes', async () => {
    const s = await RawSocketIo.connect(url, { connectTimeoutMs: 5_000 });
    try {
      expect(await s.emitWithAck('echo', { a: 1 }, 5_000)).toEqual([{ ok: true, req: { a: 1 } }]);
      const frames: string[] = [];
      const got = new Promise<void>((resolve) => {
        s.onEventFrame = (f) => {
          frames.push(f.toString());
          resolve();
        };
      });
      s.sendFrame(`42${JSON.stringify(['push', { b: 2 }])}`);
      await got;
      expect(frames).toEqual(['42["message",{"b":2}]']);
    } finally {
      s.close();
    }
  });

  it('reports a refused request on the hot path with its body', async () => {
    const s = await RawSocketIo.connect(url, { connectTimeoutMs: 5_000 });
    try {
      const results = await Promise.all(
        ['echo', 'refuse'].map((event) => new Promise<unknown[]>((resolve) => s.emitJsonWithAck(JSON.stringify([event, {}]), resolve))),
      );
      expect(results[0]).toEqual([{ ok: true }]);
      expect(results[1]).toEqual([{ ok: false, error: { code: 'NOPE' } }]);
    } finally {
      s.close();
    }
  });
});
