/** Runs `fn` over items with at most `n` in flight; rejects on the first failure. */
export async function inPool<T>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
