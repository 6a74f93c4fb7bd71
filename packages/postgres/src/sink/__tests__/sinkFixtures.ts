/** Test helpers of the sink's takeover tests: batches, error codes, the writer's server process, query counts. */
import { isReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import { Int32, Table, Utf8, vectorFromArray } from 'apache-arrow';
import pg from 'pg';
import { vi } from 'vitest';
import { sql } from '../../__tests__/testServer.js';
import { readPostgresSink } from '../readPostgresSink.js';

/** A batch of `rows` rows covering `[start, start + rows)`. */
export function batch(start: number, rows = 1, note = 'n'): CdcBatch {
  const mutations = new Table({
    id: vectorFromArray(
      Array.from({ length: rows }, (_, i) => start + i),
      new Int32(),
    ),
    note: vectorFromArray(
      Array.from({ length: rows }, () => note),
      new Utf8(),
    ),
  }).batches[0]!;
  return { lsnStart: BigInt(start), lsnEnd: BigInt(start + rows), mutations, commitTimestamp: 1_700_000_000_000 };
}

/** Consecutive batches of `sizes` rows each, from LSN `from`. */
export function batches(sizes: readonly number[], from = 0): CdcBatch[] {
  let at = from;
  return sizes.map((rows) => {
    const b = batch(at, rows);
    at += rows;
    return b;
  });
}

/** The error code a promise rejects with, or `resolved`. */
export const codeOf = (promise: unknown): Promise<string> =>
  Promise.resolve()
    .then(() => promise)
    .then(
      () => 'resolved',
      (error: unknown) => (isReloadError(error) ? error.code : String(error)),
    );

/** "Another process": this process's registry is keyed by URL, so a variant of it is not recognised. */
export const elsewhere = (url: string): string => {
  const other = new URL(url);
  other.searchParams.set('application_name', 'another process');
  return other.href;
};

/** `lsnStart-lsnEnd:generation` of every batch the sink holds for `output`, in LSN order. */
export const ranges = async (url: string, output: string): Promise<string[]> =>
  (await readPostgresSink({ name: 'check', url, output })).batches.map(
    (b) => `${b.lsnStart}-${b.lsnEnd}:${b.generation}`,
  );

/** The server processes of the writers of `output` (their application name says which output). */
export async function writerBackends(url: string, output: string): Promise<number[]> {
  const rows = await sql<{ pid: number }>(
    url,
    `SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1 AND datname = current_database() AND pid <> pg_backend_pid() ORDER BY pid`,
    [`baton sink ${output} %`],
  );
  return rows.map((row) => row.pid);
}

/** Counts every `pg.Client` query and connect made while `run` runs (any client of this process). */
export async function countingPg<T>(run: () => Promise<T>): Promise<{ result: T; queries: number; connects: number }> {
  const query = vi.spyOn(pg.Client.prototype, 'query');
  const connect = vi.spyOn(pg.Client.prototype, 'connect');
  try {
    const result = await run();
    return { result, queries: query.mock.calls.length, connects: connect.mock.calls.length };
  } finally {
    query.mockRestore();
    connect.mockRestore();
  }
}

/** Whether `run` settled before the event loop turned (a `setImmediate` queued first had not run). */
export async function withinOneTurn<T>(run: () => Promise<T>): Promise<{ result: T; turned: boolean }> {
  let turned = false;
  const immediate = setImmediate(() => (turned = true));
  const result = await run();
  clearImmediate(immediate);
  return { result, turned };
}
