/**
 * Collects messages for another thread and posts them as one array per event-loop turn. Each
 * postMessage has a fixed cost on both sides (a wake-up, a message event), which at thousands of
 * requests a second was a third of a woken /sync's CPU; a turn that answers 2,000 long-polls now
 * pays it once.
 */
export class MessageBatch<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(private readonly post: (batch: T[]) => void) {}

  add(message: T): void {
    this.pending.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: everything they answered goes together.
    setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    this.post(batch);
  };
}
