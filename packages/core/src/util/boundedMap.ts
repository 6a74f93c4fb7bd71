/** How one item of {@link mapBounded} ended. */
export type BoundedResult<R> =
  | { readonly status: 'fulfilled'; readonly value: R }
  | { readonly status: 'rejected'; readonly reason: unknown }
  | { readonly status: 'skipped' };

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
  const results: BoundedResult<R>[] = items.map(() => ({ status: 'skipped' }));
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await fn(items[index]!, index) };
      } catch (reason) {
        failed = true;
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker);
  await Promise.all(workers);
  return results;
}
