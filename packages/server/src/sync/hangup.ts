/**
 * Tells a long-poll that its client went away. A one-listener, one-shot signal: an
 * AbortController per /sync (EventTarget listeners) cost 4–7 % of the server in profiles.
 */
export class Hangup {
  private done = false;
  private listener: (() => void) | null = null;

  get happened(): boolean {
    return this.done;
  }

  /** Fires the listener (once). */
  fire(): void {
    if (this.done) return;
    this.done = true;
    const l = this.listener;
    this.listener = null;
    l?.();
  }

  /** Sets the one listener; `null` removes it. */
  listen(fn: (() => void) | null): void {
    this.listener = fn;
  }
}
