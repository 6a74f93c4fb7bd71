/** Shared helpers of the CDC tests: batches with checkable contents, temp directories, sink checks. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays } from 'apache-arrow';
import { definePlugin } from '@baton/core';
import type { CdcBatch, CdcOutputProvider, PluginDefinition } from '@baton/core';
import { expect } from 'vitest';

/** A batch covering `[lsnStart, lsnStart + rows)` whose `id` column holds those LSNs. */
export function batchAt(lsnStart: bigint, rows: number, span: number = rows): CdcBatch {
  const ids = Int32Array.from({ length: rows }, (_, i) => Number(lsnStart) + i);
  const mutations = tableFromArrays({
    id: ids,
    op: Array.from(ids, (id) => (id % 3 === 0 ? 'delete' : `upsert-${id}`)),
  }).batches[0]!;
  return {
    lsnStart,
    lsnEnd: lsnStart + BigInt(Math.max(1, span)),
    mutations,
    commitTimestamp: 1_700_000_000_000 + Number(lsnStart),
  };
}

/** Consecutive batches of the given row counts from `start` (a zero-row batch covers one LSN). */
export function batchesOf(sizes: readonly number[], start = 0n): CdcBatch[] {
  const out: CdcBatch[] = [];
  let lsn = start;
  for (const rows of sizes) {
    const batch = batchAt(lsn, rows);
    out.push(batch);
    lsn = batch.lsnEnd;
  }
  return out;
}

/** `lsnStart-lsnEnd` of each batch, to compare what a sink holds with what was sent. */
export function ranges(batches: readonly CdcBatch[]): string[] {
  return batches.map((b) => `${b.lsnStart}-${b.lsnEnd}`);
}

/** What a batch carries, comparable with `toEqual` (LSNs, timestamp and rows). */
export function contents(batches: readonly CdcBatch[]): unknown[] {
  return batches.map((b) => ({
    lsnStart: b.lsnStart,
    lsnEnd: b.lsnEnd,
    commitTimestamp: b.commitTimestamp,
    rows: b.mutations.toArray().map((row) => ({ ...(row as { toJSON(): object }).toJSON() })),
  }));
}

/** A fresh temporary directory (under the OS temp dir) and its removal. */
export async function tempDir(
  prefix = 'baton-cdc-',
): Promise<{ readonly path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, [Symbol.asyncDispose]: () => rm(path, { recursive: true, force: true }) };
}

/** The `lsnEnd` of `batches[count - 1]`, or `start` when `count` is 0. */
export function endOf(batches: readonly CdcBatch[], count: number, start = 0n): bigint {
  return count === 0 ? start : batches[count - 1]!.lsnEnd;
}

/** Matches a `ReloadError` with `code` whose message contains `text` (for `toThrow`/`rejects.toMatchObject`). */
export function typedError(code: string, text?: string): Record<string, unknown> {
  const message: unknown = text === undefined ? undefined : expect.stringContaining(text);
  const matcher: unknown = expect.objectContaining(message === undefined ? { code } : { code, message });
  return matcher as Record<string, unknown>;
}

/** Version `version` of a plugin that registers only `outputs` (fresh providers, as a new version would). */
export const cdcPlugin = (version: string, outputs: readonly CdcOutputProvider[]): PluginDefinition =>
  definePlugin({
    name: 'cdc-sinks',
    version,
    register(r) {
      for (const output of outputs) r.cdcOutput(output);
    },
  });
