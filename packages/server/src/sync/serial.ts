/**
 * Runs writes one at a time, so that a stream's positions commit in order: a reader that sees
 * position N as latest never misses a write below N that is still in flight.
 */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => {});
    return next;
  }
}
