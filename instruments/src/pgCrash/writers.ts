import { setTimeout as delay } from 'node:timers/promises';
import { Random } from '@baton/examples/engine';
import pg from 'pg';

/** The source tables the writers change; every change carries an id no other change has. */
export const sourceTablesSql = `
  CREATE TABLE events (id text PRIMARY KEY, writer int NOT NULL, note text NOT NULL);
  CREATE TABLE counters (writer int PRIMARY KEY, last_change text NOT NULL, total int NOT NULL);`;

/** What the writers did: only transactions whose COMMIT the server acknowledged count as committed. */
export interface WriterLog {
  /** Each committed transaction's change ids, in statement order. */
  readonly committed: string[][];
  /** Ids of changes made in transactions that were rolled back: they must never reach the sink. */
  readonly rolledBack: string[];
}

/** The id a stored change carries: an `events` row's id, or the `last_change` a `counters` update set. */
export function changeId(row: unknown): string | undefined {
  const next = (row as { new?: { id?: unknown; last_change?: unknown } | null } | null)?.new;
  const id = next?.id ?? next?.last_change;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Concurrent writer clients until `signal` aborts: each commits multi-statement transactions (1–4
 * inserts into `events` and updates of its `counters` row, each change with a new id), rolls back
 * one in ten instead, and pauses 0–`pauseMs` ms between transactions (the load, not a check).
 * Records a transaction as committed only once COMMIT returned. The log fills as they write; `done`
 * settles when every writer has stopped.
 */
export function startWriters(options: {
  readonly url: string;
  readonly writers: number;
  readonly seed: number;
  readonly pauseMs: number;
  readonly signal: AbortSignal;
}): { readonly log: WriterLog; readonly done: Promise<void> } {
  const log: WriterLog = { committed: [], rolledBack: [] };
  const one = async (w: number): Promise<void> => {
    const random = new Random(options.seed * 31 + w);
    const client = new pg.Client({ connectionString: options.url, application_name: `pg-crash writer ${w}` });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.query('INSERT INTO counters (writer, last_change, total) VALUES ($1, $2, 0)', [w, `w${w}-init`]);
      log.committed.push([`w${w}-init`]);
      for (let t = 0; !options.signal.aborted; t++) {
        const ids: string[] = [];
        await client.query('BEGIN');
        const statements = 1 + random.int(4);
        for (let s = 0; s < statements; s++) {
          const id = `w${w}-${t}-${s}`;
          ids.push(id);
          if (random.next() < 0.6)
            await client.query('INSERT INTO events (id, writer, note) VALUES ($1, $2, $3)', [id, w, `t${t}`]);
          else await client.query('UPDATE counters SET last_change = $2, total = total + 1 WHERE writer = $1', [w, id]);
        }
        if (random.next() < 0.1) {
          await client.query('ROLLBACK');
          log.rolledBack.push(...ids);
        } else {
          await client.query('COMMIT');
          log.committed.push(ids);
        }
        await delay(random.int(options.pauseMs + 1));
      }
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const done = Promise.all(Array.from({ length: options.writers }, (_, w) => one(w))).then(() => undefined);
  return { log, done };
}
