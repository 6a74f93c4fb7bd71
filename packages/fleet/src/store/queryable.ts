import type { QueryResult, QueryResultRow } from 'pg';

/**
 * What the fleet needs of a PostgreSQL connection: `query(text, values)`. A `pg.Client`, a
 * `pg.PoolClient` or a `pg.Pool` (not for advisory locks or LISTEN, which need one session).
 */
export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** A {@link Queryable} that counts the statements sent through it (each is one round trip). */
export interface CountingQueryable extends Queryable {
  /** Statements sent since it was made. */
  readonly count: number;
}

/**
 * Wraps `client` so every `query` is counted: the fleet reports its coordination overhead (PostgreSQL
 * round trips per rollout step) from this count.
 */
export function countQueries(client: Queryable): CountingQueryable {
  let count = 0;
  return {
    get count() {
      return count;
    },
    query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>> {
      count += 1;
      return client.query<R>(text, values);
    },
  };
}
