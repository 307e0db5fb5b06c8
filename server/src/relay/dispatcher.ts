/**
 * The one door every client event goes through: flood control, the catalogue, the size cap, the zod schema (on the
 * hot path the same schema compiled into a predicate), authentication, then the handler; the answer always goes back
 * through the acknowledgement. Nothing a client sends can crash the process: every refusal is a code from the
 * catalogue, counted in metrics.refused(code), and an unexpected failure answers INTERNAL and is logged with opaque
 * ids only (never a payload, never a message text).
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
import { compileCheck, type Check } from './compiledCheck';

export type Handler<E extends ClientEventName> = (call: Call, request: ClientRequest<E>) => Promise<ClientResult<E>>;
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

/**
 * Events whose request is checked by its schema compiled into a predicate (compiledCheck.ts): the same answer as zod,
 * without the parsed copy. Only the hot path; zod still checks a request the predicate refuses, to say where it failed.
 */
const COMPILED: { readonly [E in ClientEventName]?: Check<ClientRequest<E>> } = {
  'message.send': compileCheck(ClientEvents['message.send'][0]),
};

/** The request checked against its schema, or the path where it failed. */
function checked(event: ClientEventName, request: unknown): { ok: true; data: unknown } | { ok: false; path: string } {
  if (COMPILED[event]?.(request)) return { ok: true, data: request };
  const parsed = ClientEvents[event][0].safeParse(request);
  return parsed.success ? { ok: true, data: parsed.data } : { ok: false, path: issuePath(parsed.error) };
}

/** The protocol core's start-up, and whether it has finished (events before that wait for it). */
export interface Readiness {
  readonly promise: Promise<void>;
  readonly done: boolean;
}

/** Follows `promise` once for the whole relay, so that no event waits for a promise already settled. */
export function readiness(promise: Promise<void>): Readiness {
  const state = { promise, done: false };
  promise.then(() => (state.done = true), () => undefined);
  return state;
}

/**
 * Routes every event of `conn` through the checks to `handlers`. A request's size is the bytes of the Socket.IO packet
 * that carried it (its text frame plus any binary attachments), counted as the transport hands each packet over,
 * just before Socket.IO decodes it and calls the listener below in the same turn.
 */
export function attachDispatcher(relay: RelayContext, conn: Connection, handlers: HandlerTable, ready: Readiness): void {
  let packetBytes = 0;
  conn.socket.conn.on('packet', (packet: { type: string; data?: unknown }) => {
    if (packet.type !== 'message') return;
    const data = packet.data;
    // A text packet starts a Socket.IO packet; binary ones are the attachments that follow it.
    if (typeof data === 'string') packetBytes = Buffer.byteLength(data, 'utf8');
    else if (data instanceof Uint8Array || data instanceof ArrayBuffer) packetBytes += data.byteLength;
  });
  conn.socket.onAny((event: unknown, ...args: unknown[]) => {
    const bytes = packetBytes;
    packetBytes = 0;
    dispatch(relay, conn, handlers, event, args, bytes, ready.done ? undefined : ready.promise);
  });
}

/** One event: flood control, catalogue, size, schema, authentication (all synchronous), then the handler. */
function dispatch(
  relay: RelayContext,
  conn: Connection,
  handlers: HandlerTable,
  event: unknown,
  args: unknown[],
  requestBytes: number,
  notReady: Promise<void> | undefined,
): void {
  const last = args[args.length - 1];
  if (typeof last !== 'function') {
    // Without an acknowledgement there is no one to answer: drop it, but count it.
    relay.deps.metrics.refused('BAD_REQUEST');
    return;
  }
  const ack = last as AckFn;
  if (!conn.bucket.take(relay.now())) return refuseRequest(relay, ack, 'RATE_LIMITED');
  if (!isClientEventName(event)) return refuseRequest(relay, ack, 'UNKNOWN_EVENT');
  if (args.length !== 2) return refuseRequest(relay, ack, 'BAD_REQUEST', 'expected one request object and an acknowledgement');
  if (requestBytes > relay.deps.config.maxPayloadBytes) return refuseRequest(relay, ack, 'PAYLOAD_TOO_LARGE');
  const request = checked(event, args[0]);
  if (!request.ok) return refuseRequest(relay, ack, 'BAD_REQUEST', request.path);
  const member = conn.socket.data.member;
  if (!OPEN_EVENTS.has(event) && member === undefined) return refuseRequest(relay, ack, 'UNAUTHENTICATED');
  const call: Call = { relay, conn, socket: conn.socket, member: member ?? '', requestBytes };
  if (notReady) notReady.then(() => handle(handlers, event, call, request.data, ack), (err: unknown) => failed(call, event, ack, err));
  else handle(handlers, event, call, request.data, ack);
}

/** Runs the handler and answers when its promise settles (a handler that throws instead is answered all the same). */
function handle(handlers: HandlerTable, event: ClientEventName, call: Call, request: unknown, ack: AckFn): void {
  let result: Promise<object>;
  try {
    result = runHandler(handlers, event, call, request);
  } catch (err) {
    return failed(call, event, ack, err);
  }
  result.then((value) => reply(ack, { ok: true, ...value }), (err: unknown) => failed(call, event, ack, err));
}

/** A handler threw: a catalogue code is the answer; anything else is INTERNAL, logged with opaque ids only. */
function failed(call: Call, event: ClientEventName, ack: AckFn, err: unknown): void {
  if (isKindredError(err)) return refuseRequest(call.relay, ack, err.code);
  // Opaque ids only: the event name, the socket id and where it failed, never the request or the error text
  // (a driver's message could quote a value).
  call.relay.deps.log.error({ event, socket: call.socket.id, err: errorShape(err) }, 'relay handler failed');
  refuseRequest(call.relay, ack, 'INTERNAL');
}

function refuseRequest(relay: RelayContext, ack: AckFn, code: ErrorCode, detail?: string): void {
  relay.deps.metrics.refused(code);
  reply(ack, { ok: false, error: wireError(code, detail) });
}

/** Socket.IO answers an acknowledgement once (later calls do nothing); a socket gone away is no one to answer. */
function reply(ack: AckFn, answer: Ack<object>): void {
  try {
    ack(answer);
  } catch {
    // the socket went away: nothing to answer
  }
}

function runHandler<E extends ClientEventName>(
  handlers: HandlerTable,
  event: E,
  call: Call,
  request: unknown,
): Promise<ClientResult<E>> {
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
