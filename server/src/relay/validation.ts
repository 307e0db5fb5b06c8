/**
 * The one door every client event goes through: flood control, the catalogue, the size cap, the zod schema,
 * authentication, then the handler; the answer always goes back through the acknowledgement. Nothing a client
 * sends can crash the process: every refusal is a code from the catalogue, counted in metrics.refused(code), and
 * an unexpected failure answers INTERNAL and is logged with opaque ids only (never a payload, never a message text).
 */
import type { z } from 'zod';
import {
  ClientEvents,
  isClientEventName,
  type Ack,
  type ClientEventName,
  type ClientRequest,
  type ClientResult,
  type WireError,
} from '@kindred/shared/protocol';
import { ERROR_SENTENCES, KindredError, isKindredError, type ErrorCode } from '@kindred/shared/errors';
import type { Call, Connection, RelayContext } from './context';
import { jsonSize } from './jsonSize';

export type Handler<E extends ClientEventName> = (
  call: Call,
  request: ClientRequest<E>,
) => Promise<ClientResult<E>> | ClientResult<E>;
export type HandlerTable = { [E in ClientEventName]: Handler<E> };

/** Events a connection may send before it has proved its identity key. */
const OPEN_EVENTS: ReadonlySet<ClientEventName> = new Set(['auth.challenge', 'auth.prove']);

const MAX_WIRE_MESSAGE = 500;

type AckFn = (answer: Ack<object>) => void;

function wireError(code: ErrorCode, detail?: string): WireError {
  const sentence = ERROR_SENTENCES[code];
  const message = detail ? `${sentence} (${detail})` : sentence;
  return { code, message: message.slice(0, MAX_WIRE_MESSAGE) };
}

/** Where the request failed its schema: key names and indexes only, never values. */
function issuePath(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'request';
  const path = issue.path.map((p) => (typeof p === 'symbol' ? '?' : String(p))).join('.');
  return (path || 'request').slice(0, 200);
}

/** Routes every event of `conn` through the checks to `handlers`. */
export function attachDispatcher(relay: RelayContext, conn: Connection, handlers: HandlerTable, ready: Promise<void>): void {
  conn.socket.onAny((event: unknown, ...args: unknown[]) => {
    void dispatch(relay, conn, handlers, event, args, ready);
  });
}

async function dispatch(
  relay: RelayContext,
  conn: Connection,
  handlers: HandlerTable,
  event: unknown,
  args: unknown[],
  ready: Promise<void>,
): Promise<void> {
  const { metrics, log } = relay.deps;
  const last = args[args.length - 1];
  if (typeof last !== 'function') {
    // Without an acknowledgement there is no one to answer: drop it, but count it.
    metrics.refused('BAD_REQUEST');
    return;
  }
  let answered = false;
  const ack = (answer: Ack<object>): void => {
    if (answered) return;
    answered = true;
    try {
      (last as AckFn)(answer);
    } catch {
      // the socket went away: nothing to answer
    }
  };
  const refuse = (code: ErrorCode, detail?: string): void => {
    metrics.refused(code);
    ack({ ok: false, error: wireError(code, detail) });
  };

  try {
    if (!conn.bucket.take(relay.now())) return refuse('RATE_LIMITED');
    if (!isClientEventName(event)) return refuse('UNKNOWN_EVENT');
    if (args.length !== 2) return refuse('BAD_REQUEST', 'expected one request object and an acknowledgement');
    const request = args[0];
    const requestBytes = jsonSize(request, relay.deps.config.maxPayloadBytes);
    if (requestBytes > relay.deps.config.maxPayloadBytes) return refuse('PAYLOAD_TOO_LARGE');
    const schema = ClientEvents[event][0];
    const parsed = schema.safeParse(request);
    if (!parsed.success) return refuse('BAD_REQUEST', issuePath(parsed.error));
    const member = conn.socket.data.member;
    if (!OPEN_EVENTS.has(event) && member === undefined) return refuse('UNAUTHENTICATED');
    await ready;
    const call: Call = { relay, conn, socket: conn.socket, member: member ?? '', requestBytes };
    const result = await runHandler(handlers, event, call, parsed.data);
    ack({ ok: true, ...result });
  } catch (err) {
    if (isKindredError(err)) return refuse(err.code);
    // Opaque ids only: the event name, the socket id and where it failed, never the request or the error text
    // (a driver's message could quote a value).
    log.error({ event: isClientEventName(event) ? event : 'unknown', socket: conn.socket.id, err: errorShape(err) }, 'relay handler failed');
    refuse('INTERNAL');
  }
}

function runHandler<E extends ClientEventName>(
  handlers: HandlerTable,
  event: E,
  call: Call,
  request: unknown,
): Promise<ClientResult<E>> | ClientResult<E> {
  const handler = handlers[event] as Handler<E>;
  return handler(call, request as ClientRequest<E>); // parsed by ClientEvents[event][0] just above
}

/** The error's class and stack frames, without its message. */
function errorShape(err: unknown): { name: string; frames?: string } {
  if (!(err instanceof Error)) return { name: typeof err };
  const frames = err.stack?.split('\n').slice(1, 8).join('\n');
  return frames === undefined ? { name: err.name } : { name: err.name, frames };
}

/** Throws the KindredError of `code` (a handler's way to refuse). */
export function refuse(code: ErrorCode, detail?: string): never {
  throw new KindredError(code, detail);
}
