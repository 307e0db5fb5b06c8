/**
 * Prometheus metrics, one registry per app (not prom-client's global one, so several apps in one test process
 * never collide). Labels are only error codes: nothing here names a person, a group, a session or an address.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { isErrorCode, type ErrorCode } from '@kindred/shared/errors';

export interface Metrics {
  readonly registry: Registry;
  /** A socket connected (+1) or disconnected (-1). */
  connection(delta: 1 | -1): void;
  /** A live session started (+1) or ended (-1) on this node. */
  sessionLive(delta: 1 | -1): void;
  /** One message relayed, of `bytes` serialized bytes. */
  relayed(bytes: number): void;
  /** One client event refused with `code`. */
  refused(code: ErrorCode): void;
  /** One roster entry stored (genesis included). */
  rosterEntry(): void;
  /** The Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const connections = new Gauge({ name: 'kindred_connections', help: 'Open Socket.IO connections on this node.', registers: [registry] });
  const sessionsLive = new Gauge({ name: 'kindred_sessions_live', help: 'Live sessions on this node.', registers: [registry] });
  const messages = new Counter({ name: 'kindred_messages_relayed_total', help: 'Messages relayed.', registers: [registry] });
  const bytes = new Counter({ name: 'kindred_bytes_relayed_total', help: 'Bytes of relayed messages.', registers: [registry] });
  const refusedEvents = new Counter({
    name: 'kindred_events_refused_total',
    help: 'Client events refused, by error code.',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const rosterEntries = new Counter({ name: 'kindred_roster_entries_total', help: 'Roster entries stored.', registers: [registry] });

  return {
    registry,
    connection: (delta) => connections.inc(delta),
    sessionLive: (delta) => sessionsLive.inc(delta),
    relayed(n) {
      messages.inc();
      if (Number.isFinite(n) && n > 0) bytes.inc(n);
    },
    // Only catalogue codes become label values, so a label can never carry anything a client chose.
    refused: (code) => refusedEvents.inc({ code: isErrorCode(code) ? code : 'INTERNAL' }),
    rosterEntry: () => rosterEntries.inc(),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
