import pg from 'pg';
import { withPg } from '../errors/pgErrors.js';
import { parseLsn } from '../lsn/lsn.js';
import { checkSinkOptions } from './sinkOptions.js';
import type { PostgresCdcOutputOptions } from './sinkOptions.js';
import { sinkTables } from './sinkTables.js';

/** One batch as the sink holds it. */
export interface SinkBatch {
  /** First LSN of the batch (inclusive). */
  readonly lsnStart: bigint;
  /** End of the batch (exclusive): the checkpoint once it was written. */
  readonly lsnEnd: bigint;
  /** Commit time in milliseconds since the Unix epoch (stored to the microsecond). */
  readonly commitTimestamp: number;
  /** The writer generation that wrote it. */
  readonly generation: bigint;
  /** Its rows as stored (`jsonb` objects, field name → value), in batch order. */
  readonly rows: readonly unknown[];
}

/** What a sink output holds. */
export interface SinkContents {
  /** The checkpoint: the LSN through which the sink holds every batch; undefined for an output never started. */
  readonly checkpoint: bigint | undefined;
  /** Every batch in LSN order. */
  readonly batches: readonly SinkBatch[];
}

/**
 * Reads what a {@link postgresCdcOutput} sink holds for one output (options as the output's; `name`
 * may be any label): the checkpoint and every batch with its rows, in LSN order — for checking lost 0
 * and duplicated 0. Reads everything into memory. A sink whose tables do not exist yet holds nothing.
 */
export async function readPostgresSink(options: PostgresCdcOutputOptions): Promise<SinkContents> {
  const config = checkSinkOptions(options);
  const tables = sinkTables(config);
  return withPg({ what: `reading sink output '${config.output}'`, kind: 'cdcOutput', key: config.name }, async () => {
    const client = new pg.Client({ connectionString: config.url });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const exists = await client.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [
        tables.offsets,
      ]);
      if (exists.rows[0]?.found !== true) return { checkpoint: undefined, batches: [] };
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const offsets = await client.query<{ lsn: string }>(
        `SELECT lsn::text AS lsn FROM ${tables.offsets} WHERE output = $1`,
        [config.output],
      );
      const batches = await client.query<{
        lsn_start: string;
        lsn_end: string;
        ms: number;
        generation: string;
        rows: unknown[];
      }>(
        `SELECT b.lsn_start::text AS lsn_start, b.lsn_end::text AS lsn_end,
                (extract(epoch FROM b.commit_time) * 1000)::float8 AS ms, b.generation::text AS generation,
                coalesce((SELECT jsonb_agg(c.row ORDER BY c.seq) FROM ${tables.changes} c
                           WHERE c.output = b.output AND c.lsn_start = b.lsn_start), '[]'::jsonb) AS rows
           FROM ${tables.batches} b WHERE b.output = $1 ORDER BY b.lsn_start`,
        [config.output],
      );
      await client.query('COMMIT');
      const checkpoint = offsets.rows[0]?.lsn;
      return {
        checkpoint: checkpoint === undefined ? undefined : parseLsn(checkpoint, 'sink checkpoint'),
        batches: batches.rows.map((row) => ({
          lsnStart: parseLsn(row.lsn_start, 'lsn_start'),
          lsnEnd: parseLsn(row.lsn_end, 'lsn_end'),
          commitTimestamp: row.ms,
          generation: BigInt(row.generation),
          rows: row.rows,
        })),
      };
    } finally {
      await client.end();
    }
  });
}
