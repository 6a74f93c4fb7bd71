/** How one item of {@link mapBounded} ended. */
export type BoundedResult<R> =
  | { readonly status: 'fulfilled'; readonly value: R }
  | {
      readonly status: 'rejected';
      readonly reason: unknown;
      /** 0 for the first item that failed (in time), 1 for the next, … */
      readonly order: number;
    }
  | { readonly status: 'skipped' };

const SKIPPED = { status: 'skipped' } as const;

/**
 * Maps `items` through `fn` with at most `limit` calls running at once. After the first failure no
 * new item starts (fail fast), but every started call is awaited, so the caller knows exactly which
 * ones completed (and must be undone). Results keep the order of `items`.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<BoundedResult<R>[]> {
  const results: BoundedResult<R>[] = items.map(() => SKIPPED);
  let next = 0;
  let failures = 0;
  const worker = async (): Promise<void> => {
    while (failures === 0 && next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index]!, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason, order: failures++ };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
