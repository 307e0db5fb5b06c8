/**
 * The one module that owns the socket (STYLE.md, "one module owns the socket"). It speaks the event catalogue of
 * shared/src/protocol/events.ts over socket.io-client: every request is validated before it leaves, every answer
 * and every push is validated when it arrives (invalid pushes are dropped and counted, never handed on), and the
 * socket re-authenticates with the identity key on every (re)connect before any other request goes out.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { KindredError, isErrorCode } from '@kindred/shared/errors';
import {
  ClientEvents,
  PROTOCOL_VERSION,
  ServerEvents,
  WireError,
  type ClientEventName,
  type ClientRequest,
  type ClientResult,
  type ServerEventName,
  type ServerPayload,
} from '@kindred/shared/protocol';

/**
 * 'outdated': this app and the relay speak different protocol versions (CLIENT_OUTDATED from the relay at connect,
 * or RELAY_OUTDATED when the relay states another version): final, like 'closed', until the app is reloaded.
 */
export type ConnectionStatus = 'idle' | 'connecting' | 'authenticating' | 'ready' | 'disconnected' | 'closed' | 'outdated';

/** Signs a relay challenge with the identity key: returns the proof sent in 'auth.prove'. */
export type ChallengeProver = (challenge: string) => { member: string; sig: string };

export interface ConnectionOptions {
  /** Relay origin, e.g. `http://127.0.0.1:3000`. */
  url: string;
  prove: ChallengeProver;
  /** How long to wait for an acknowledgement before failing with UNAVAILABLE (ms). */
  requestTimeoutMs?: number;
  /** Extra socket.io-client options (tests: reconnection delays, path). Transport stays websocket-only. */
  socketOptions?: Partial<ManagerOptions & SocketOptions>;
}

type PushHandler<E extends ServerEventName> = (payload: ServerPayload<E>) => void;

interface ConnectionEvents {
  status: (status: ConnectionStatus) => void;
  /** After each successful authentication (first connect and every reconnect): the moment to resume. */
  authenticated: (info: { reconnect: boolean }) => void;
  /** An inbound push failed validation and was dropped. */
  invalid: (info: { event: string }) => void;
  /** Authentication after a (re)connect failed; the socket stays unusable until the next reconnect. */
  authError: (error: KindredError) => void;
}

export class Connection {
  private readonly socket: Socket;
  private readonly timeoutMs: number;
  private readonly pushHandlers = new Map<ServerEventName, Set<(payload: unknown) => void>>();
  private readonly listeners: { [K in keyof ConnectionEvents]: Set<ConnectionEvents[K]> } = {
    status: new Set(),
    authenticated: new Set(),
    invalid: new Set(),
    authError: new Set(),
  };
  private statusValue: ConnectionStatus = 'idle';
  private readyWaiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private authCount = 0;
  /** Set once the relay and this app turned out to speak different protocol versions. */
  private versionError: KindredError | null = null;
  /** Inbound pushes dropped because they failed validation (a misbehaving or hostile relay). */
  invalidPushes = 0;

  constructor(private readonly options: ConnectionOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.socket = io(options.url, {
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: 200,
      reconnectionDelayMax: 5_000,
      ...options.socketOptions,
      // The protocol this app speaks: the relay refuses another one at the door (server/src/relay/protocolGate.ts).
      auth: { protocol: PROTOCOL_VERSION },
      // Polling would put every payload in an HTTP body that proxies log; the relay speaks websocket only.
      transports: ['websocket'],
    });
    for (const name of Object.keys(ServerEvents) as ServerEventName[]) {
      this.socket.on(name, (raw: unknown) => this.dispatch(name, raw));
    }
    this.socket.onAny((name: unknown) => {
      if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(ServerEvents, name)) this.dropInvalid(String(name));
    });
    this.socket.on('connect', () => void this.authenticate());
    this.socket.on('connect_error', (err: Error & { data?: unknown }) => {
      const data = err.data as { code?: unknown } | undefined;
      if (data?.code === 'CLIENT_OUTDATED') this.outdated(new KindredError('CLIENT_OUTDATED'));
    });
    this.socket.on('disconnect', () => {
      if (!this.final()) this.setStatus('disconnected');
    });
    this.socket.io.on('reconnect_attempt', () => {
      if (!this.final()) this.setStatus('connecting');
    });
  }

  get status(): ConnectionStatus {
    return this.statusValue;
  }

  /** Successful authentications so far: a request whose answer comes on another one was sent on a lost socket. */
  get authentications(): number {
    return this.authCount;
  }

  /** Opens the socket; resolves once authenticated. */
  connect(): Promise<void> {
    if (this.statusValue === 'closed') return Promise.reject(new KindredError('UNAVAILABLE', 'connection closed'));
    const ready = this.whenReady();
    if (this.statusValue === 'idle') {
      this.setStatus('connecting');
      this.socket.connect();
    }
    return ready;
  }

  /** Closes for good (no reconnection). Pending requests fail with UNAVAILABLE. */
  close(): void {
    this.setStatus('closed');
    this.socket.disconnect();
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(new KindredError('UNAVAILABLE', 'connection closed'));
  }

  /**
   * The platform says the network is gone (a browser's `offline` event): drop the transport now rather than after
   * a ping timeout, so the drop shows at once; socket.io-client reconnects by itself when it can.
   */
  networkLost(): void {
    if (this.statusValue === 'ready' || this.statusValue === 'authenticating') this.socket.io.engine?.close();
  }

  /**
   * Drops the transport as a network blip would (tests and tools). By default socket.io-client reconnects by
   * itself; with `hold` it stays offline until the returned function is called.
   */
  simulateNetworkDrop(options: { hold?: boolean } = {}): () => void {
    if (options.hold) this.socket.io.reconnection(false);
    this.socket.io.engine?.close();
    return () => {
      if (!options.hold || this.statusValue === 'closed') return;
      this.socket.io.reconnection(true);
      this.setStatus('connecting');
      this.socket.connect();
    };
  }

  on<K extends keyof ConnectionEvents>(event: K, listener: ConnectionEvents[K]): () => void {
    this.listeners[event].add(listener);
    return () => this.listeners[event].delete(listener);
  }

  /** Subscribes to one validated relay push. */
  onPush<E extends ServerEventName>(event: E, handler: PushHandler<E>): () => void {
    let set = this.pushHandlers.get(event);
    if (!set) this.pushHandlers.set(event, (set = new Set()));
    const h = handler as (payload: unknown) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /**
   * Sends one request and returns its validated result. Waits for authentication first (except for the auth
   * events themselves). Throws KindredError with the relay's code when the relay refuses, UNAVAILABLE when no
   * answer comes in time, MALFORMED when the answer does not match the catalogue.
   */
  async request<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResult<E>> {
    if (event !== 'auth.challenge' && event !== 'auth.prove') await this.whenReady();
    return this.emit(event, payload);
  }

  private async emit<E extends ClientEventName>(event: E, payload: ClientRequest<E>): Promise<ClientResult<E>> {
    const [requestSchema, resultSchema] = ClientEvents[event];
    const checked = requestSchema.safeParse(payload);
    if (!checked.success) throw new KindredError('BAD_REQUEST', `outbound ${event}`, { cause: checked.error });
    let ack: unknown;
    try {
      ack = await this.socket.timeout(this.timeoutMs).emitWithAck(event, checked.data);
    } catch (cause) {
      throw new KindredError('UNAVAILABLE', event, { cause });
    }
    if (typeof ack !== 'object' || ack === null || !('ok' in ack)) throw new KindredError('MALFORMED', `ack of ${event}`);
    const { ok, ...rest } = ack as { ok: unknown } & Record<string, unknown>;
    if (ok === true) {
      const result = resultSchema.safeParse(rest);
      if (!result.success) throw new KindredError('MALFORMED', `result of ${event}`, { cause: result.error });
      return result.data as ClientResult<E>;
    }
    const wire = WireError.safeParse(rest.error);
    const code = wire.success && isErrorCode(wire.data.code) ? wire.data.code : 'INTERNAL';
    throw new KindredError(code, event);
  }

  private whenReady(): Promise<void> {
    if (this.statusValue === 'ready') return Promise.resolve();
    if (this.statusValue === 'closed') return Promise.reject(new KindredError('UNAVAILABLE', 'connection closed'));
    if (this.versionError) return Promise.reject(this.versionError);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
  }

  private async authenticate(): Promise<void> {
    if (this.statusValue === 'closed') return;
    this.setStatus('authenticating');
    try {
      const { challenge } = await this.emit('auth.challenge', {});
      const proof = this.options.prove(challenge);
      await this.emit('auth.prove', { member: proof.member, challenge, sig: proof.sig });
    } catch (e) {
      // A relay that does not state this app's protocol version in its challenge answer speaks another one.
      if (e instanceof KindredError && e.code === 'MALFORMED' && e.message.includes('auth.challenge')) return this.outdated(new KindredError('RELAY_OUTDATED'));
      const error = e instanceof KindredError ? e : new KindredError('AUTH_FAILED', undefined, { cause: e });
      for (const l of this.listeners.authError) l(error);
      // A socket that cannot authenticate is useless; drop it so that socket.io-client tries again later.
      if (this.socket.connected) this.socket.io.engine?.close();
      return;
    }
    if (!this.socket.connected || (this.statusValue as ConnectionStatus) === 'closed') return;
    const reconnect = this.authCount++ > 0;
    this.setStatus('ready');
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
    for (const l of this.listeners.authenticated) l({ reconnect });
  }

  /** The two sides speak different protocol versions: stop for good (no reconnection would help) and say why. */
  private outdated(error: KindredError): void {
    if (this.final()) return;
    this.versionError = error;
    this.socket.io.reconnection(false);
    this.socket.disconnect();
    this.setStatus('outdated');
    for (const l of this.listeners.authError) l(error);
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(error);
  }

  private final(): boolean {
    return this.statusValue === 'closed' || this.statusValue === 'outdated';
  }

  private dispatch(name: ServerEventName, raw: unknown): void {
    const parsed = ServerEvents[name].safeParse(raw);
    if (!parsed.success) return this.dropInvalid(name);
    const set = this.pushHandlers.get(name);
    if (!set) return;
    for (const h of [...set]) h(parsed.data);
  }

  private dropInvalid(event: string): void {
    this.invalidPushes++;
    for (const l of this.listeners.invalid) l({ event });
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    for (const l of this.listeners.status) l(status);
  }
}
