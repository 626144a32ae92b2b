/** A token bucket per key: `perSecond` refill, `burst` capacity. perSecond 0 disables limiting. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  /** Takes one token: returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string, now: number): number {
    if (this.perSecond <= 0) return 0;
    const capacity = Math.max(1, this.burst);
    const b = this.buckets.get(key) ?? { tokens: capacity, at: now };
    const tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      if (this.buckets.size > 100_000) this.prune(now);
      return 0;
    }
    this.buckets.set(key, { tokens, at: now });
    return Math.ceil(((1 - tokens) / this.perSecond) * 1000);
  }

  /** Full buckets carry no information: drop them. */
  private prune(now: number): void {
    const capacity = Math.max(1, this.burst);
    for (const [k, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.perSecond >= capacity) this.buckets.delete(k);
    }
  }
}
