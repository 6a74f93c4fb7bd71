import type { RecordBatch } from 'apache-arrow';
import type { ReloadError, SurfaceLease } from '@baton/core';

/** Something a query may call: a surface reference (`host.surface(kind, key)`) under its entry point's name. */
export interface LeaseSource {
  /** The entry point's SQL name: unique within an engine. */
  readonly key: string;
  readonly ref: {
    readonly unleasedProvider: unknown;
    acquire(): SurfaceLease<unknown>;
  };
}

/**
 * The leases of one query: taken on every entry point of the engine in one synchronous stretch when
 * the query starts (no reload can commit in between, so the query sees one consistent set of
 * versions), held until its result is materialized, then released. A function whose surface was not
 * served when the query started is leased at its first call, and then held the same way.
 */
export class QueryScope {
  readonly #leases = new Map<string, SurfaceLease<unknown>>();
  /** The index searches of the query, probed before it ran, by name. */
  readonly searches = new Map<string, RecordBatch>();
  #released = false;
  #failure: ReloadError | undefined;

  constructor(
    sources: Iterable<LeaseSource>,
    readonly signal: AbortSignal | undefined,
  ) {
    for (const source of sources) {
      if (source.ref.unleasedProvider === undefined) continue;
      this.#leases.set(source.key, source.ref.acquire());
    }
  }

  /** The lease of `source` for this query (taken now if the query started without it). */
  lease<P>(source: LeaseSource): SurfaceLease<P> {
    let lease = this.#leases.get(source.key);
    if (lease === undefined) {
      lease = source.ref.acquire();
      if (this.#released) {
        lease.release();
        throw new Error('the query has ended');
      }
      this.#leases.set(source.key, lease);
    }
    return lease as SurfaceLease<P>;
  }

  /** The versions this query holds, by entry-point key (`plugin@version`). */
  versions(): ReadonlyMap<string, string> {
    return new Map([...this.#leases].map(([key, lease]) => [key, `${lease.plugin.name}@${lease.plugin.version}`]));
  }

  /** Records the first error a function of this query raised (DuckDB reports only its message). */
  fail(error: ReloadError): void {
    this.#failure ??= error;
  }

  /** The first error a function of this query raised. */
  get failure(): ReloadError | undefined {
    return this.#failure;
  }

  /** Whether the query has ended (its leases are released). */
  get released(): boolean {
    return this.#released;
  }

  /** Releases every lease (idempotent). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const lease of this.#leases.values()) lease.release();
  }
}
