import type { CdcBatch } from '@baton/core';
import { test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { connect, sql, testDatabase, uniqueName } from '../__tests__/testServer.js';
import { comparable, ddlOf, plan, transactions } from './__tests__/changeModel.js';
import type { ExpectedRow, Model } from './__tests__/changeModel.js';
import { readChanges } from './cdcLayout.js';
import { postgresChangeSource } from './postgresChangeSource.js';
import type { PostgresChangeSource } from './postgresChangeSource.js';

let url: string;
let source: PostgresChangeSource;
let run = 0;
/** `lsnEnd` of the last batch read: every batch must start at or after it. */
let lastEnd = 0n;

beforeAll(async () => {
  url = await testDatabase('mapping');
  await sql(url, 'CREATE PUBLICATION everything FOR ALL TABLES');
  source = await postgresChangeSource({ url, slot: uniqueName('mapping'), publication: 'everything' });
  lastEnd = source.startLsn;
});

afterAll(async () => {
  await source.close();
});

/** Reads batches until the run's marker transaction; returns those before it. */
async function readUntilMarker(marker: string): Promise<CdcBatch[]> {
  const batches: CdcBatch[] = [];
  for (;;) {
    const batch = await source.next({ signal: AbortSignal.timeout(20_000) });
    if (!batch) throw new Error('the source closed');
    expect(batch.lsnStart).toBeGreaterThanOrEqual(lastEnd);
    expect(batch.lsnEnd).toBeGreaterThan(batch.lsnStart);
    expect(Math.abs(batch.commitTimestamp - Date.now())).toBeLessThan(10 * 60_000);
    lastEnd = batch.lsnEnd;
    const rows = readChanges(batch.mutations);
    if (rows.length === 1 && rows[0]!.table === marker) return batches;
    batches.push(batch);
  }
}

describe('pgoutput → CDC batches', () => {
  test.prop([transactions], { numRuns: 20 })(
    'each committed transaction is one batch of its changes in order, values as PostgreSQL text, LSN ranges ascending',
    async (generated) => {
      const current = run++;
      await sql(url, ddlOf(current));
      await using client = await connect(url);
      const model: Model = new Map();
      const expected: ExpectedRow[][] = [];
      for (const { statements, commit } of generated) {
        await client.query('BEGIN');
        const rows: ExpectedRow[] = [];
        const saved = new Map([...model].map(([table, contents]) => [table, new Map(contents)]));
        for (const statement of statements) {
          const planned = plan(current, model, statement);
          if (!planned) continue;
          await client.query(planned.sql, planned.params);
          rows.push(planned.expected);
        }
        await client.query(commit ? 'COMMIT' : 'ROLLBACK');
        if (!commit) {
          model.clear();
          for (const [table, contents] of saved) model.set(table, contents);
        } else if (rows.length > 0) expected.push(rows);
      }
      await client.query(`INSERT INTO run_${current}.marker VALUES (1)`);

      const batches = await readUntilMarker(`run_${current}.marker`);
      expect(batches.map((b) => readChanges(b.mutations).map(comparable))).toEqual(expected);
      source.confirm(source.readLsn);
    },
  );
});
