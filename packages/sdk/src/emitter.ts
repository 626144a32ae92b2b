type Listener = (...args: never[]) => void;

/** A small typed event emitter that runs in browsers and Node alike (no node:events). */
export class Emitter<Events extends Record<string, unknown[]>> {
  private readonly listeners = new Map<keyof Events, Set<Listener>>();

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(name: K, fn: (...args: Events[K]) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    const stored = fn as unknown as Listener;
    set.add(stored);
    return () => void set.delete(stored);
  }

  protected emit<K extends keyof Events>(name: K, ...args: Events[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const fn of [...set]) (fn as unknown as (...a: Events[K]) => void)(...args);
  }
}
