/** Latency summaries. Percentiles use the nearest-rank method: p99 is a value that was observed. */

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array; NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * n);
  return sorted[Math.min(n, Math.max(1, rank)) - 1] as number;
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);

/** Summarises samples (sorted in place as a Float64Array copy; the input is untouched). */
export function summarize(samples: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of sorted) sum += x;
  const n = sorted.length;
  return {
    count: n,
    mean: n ? round(sum / n) : Number.NaN,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: n ? round(sorted[n - 1] as number) : Number.NaN,
  };
}

/** A growable array of doubles: hundreds of thousands of samples without boxing each. */
export class Samples {
  private buf = new Float64Array(1024);
  length = 0;

  push(x: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = x;
  }

  view(): Float64Array {
    return this.buf.subarray(0, this.length);
  }

  summary(): Summary {
    return summarize(this.view());
  }
}
