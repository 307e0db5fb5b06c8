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

interface EnterRequest {
  sessionId?: unknown;
}
interface SendRequest {
  envelope?: unknown;
}
type AckFn = (result: unknown) => void;

async function main(): Promise<void> {
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
    },
  });
  reportReady(address.port, 'bare socket.io');
}

main().catch((err: unknown) => {
  reportFailed(err);
  console.error(err);
  process.exit(1);
});
