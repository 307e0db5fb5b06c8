/**
 * The baseline of the relay benchmark, run as a child process: a bare Socket.IO server (the relay's socket.io
 * version, websocket transport only, perMessageDeflate off) that does what a relay without any checks would do:
 * `session.enter` joins a room, `message.send` is acked with a sequence number and broadcast with
 * `io.to(room).emit('message', { seq, envelope })`. No validation, no auth, no storage: the upper bound the relay
 * is measured against.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { memoryStats, reportFailed, reportReady, serveChildIpc } from './serverIpc';

/**
 * `BENCH_BASELINE_BESIDE_APP=1` (diagnostics): the baseline process also builds an idle Kindred app (buildApp, in-memory
 * SQLite, on a port of its own that the load never touches), so that it carries the relay's loaded code, heap and
 * timers while serving the bare rooms. It tells apart what the relay pays for being a bigger process from what it
 * pays per message.
 */
async function idleAppBeside(): Promise<{ close(): Promise<void> } | undefined> {
  if (process.env.BENCH_BASELINE_BESIDE_APP !== '1') return undefined;
  const { buildApp } = await import('../src/app');
  const { defaultConfig, IN_MEMORY } = await import('../src/config');
  const kindred = await buildApp(defaultConfig({ port: 0, host: '127.0.0.1', dataDir: IN_MEMORY, logLevel: 'warn' }));
  await kindred.app.listen({ port: 0, host: '127.0.0.1' });
  return kindred;
}

interface EnterRequest {
  sessionId?: unknown;
}
interface SendRequest {
  envelope?: unknown;
}
type AckFn = (result: unknown) => void;

async function main(): Promise<void> {
  const beside = await idleAppBeside();
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });
  let seq = 0;
  io.on('connection', (socket) => {
    let room: string | undefined;
    socket.on('session.enter', (req: EnterRequest, ack: AckFn) => {
      if (typeof req?.sessionId !== 'string' || typeof ack !== 'function') return;
      room = req.sessionId;
      void socket.join(room);
      ack({ ok: true, status: 'joined', present: [], missed: [], sealed: [], waiting: [] });
    });
    socket.on('message.send', (req: SendRequest, ack: AckFn) => {
      if (room === undefined || typeof ack !== 'function') return;
      const s = seq++;
      io.to(room).emit('message', { seq: s, envelope: req.envelope });
      ack({ ok: true, seq: s });
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const address = http.address();
  if (address === null || typeof address === 'string') throw new Error('baseline: no TCP address');
  serveChildIpc({
    stats: () => ({ ...memoryStats(), connections: io.engine.clientsCount }),
    stop: async () => {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        void io.close(() => resolve());
      });
      await beside?.close();
    },
  });
  reportReady(address.port, beside ? 'bare socket.io, beside an idle Kindred app in the same process' : 'bare socket.io');
}

main().catch((err: unknown) => {
  reportFailed(err);
  console.error(err);
  process.exit(1);
});
