/** A minimal typed event emitter (no Node EventEmitter: the engine runs in browsers too). */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const h of [...set]) {
      try {
        (h as (p: Events[K]) => void)(payload);
      } catch (e) {
        // A listener's bug must not break the protocol state machine that called it.
        console.error('kindred engine: event listener threw', e);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
