/**
 * The version rule at the door: a client states the protocol it speaks in the Socket.IO handshake (`auth`,
 * events.ts HandshakeAuth). Another version, or none (a client from before version 2), is refused before the
 * connection exists, with CLIENT_OUTDATED and its sentence in the connect error's `data`, which the client shows as
 * "this app is out of date, reload". Nothing of an old client's traffic ever reaches a handler.
 */
import { HandshakeAuth } from '@kindred/shared/protocol';
import { ERROR_SENTENCES } from '@kindred/shared/errors';
import type { RelaySocket } from './socketTypes';

/** The connect error a refused client receives (Socket.IO passes `data` to the client's connect_error). */
export class ProtocolRefusal extends Error {
  readonly data = { code: 'CLIENT_OUTDATED' as const, message: ERROR_SENTENCES.CLIENT_OUTDATED };
  constructor() {
    super(ERROR_SENTENCES.CLIENT_OUTDATED);
  }
}

export function protocolGate(socket: RelaySocket, next: (err?: Error) => void): void {
  next(HandshakeAuth.safeParse(socket.handshake.auth).success ? undefined : new ProtocolRefusal());
}
