import { formatLsn, parseLsn, readPostgresSink } from '@baton/postgres';
import type { PostgresCdcOutputOptions } from '@baton/postgres';
import type pg from 'pg';
import { auditSink } from './sinkAudit.js';
import type { SinkAudit } from './sinkAudit.js';
import type { WriterLog } from './writers.js';

/** What a handover check found. */
export interface HandoverCheck {
  /** The slot's confirmed position was ahead of the sink's checkpoint. */
  readonly ahead: boolean;
  /** The server process now reading the slot (the new engine's walsender). */
  readonly walsenderPid: number | null;
  readonly problems: readonly string[];
}

/**
 * Checks what a killed engine left, once the next engine holds the slot and the sink and before it
 * confirms anything: the slot's confirmed position (read first) must not be ahead of the sink's
 * checkpoint (read after; it only grows, so a violation cannot hide) — or of the slot's creation
 * point, before anything was confirmed — and the sink must hold no change twice and none of a
 * transaction that was rolled back.
 */
export async function checkHandover(at: {
  readonly source: pg.Client;
  readonly sinkOptions: PostgresCdcOutputOptions;
  readonly slot: string;
  readonly slotCreated: bigint;
  readonly log: WriterLog;
}): Promise<HandoverCheck> {
  const slot = (
    await at.source.query<{ lsn: string; pid: number | null }>(
      'SELECT confirmed_flush_lsn::text AS lsn, active_pid AS pid FROM pg_replication_slots WHERE slot_name = $1',
      [at.slot],
    )
  ).rows[0]!;
  const sink = await readPostgresSink(at.sinkOptions);
  const checkpoint = sink.checkpoint ?? 0n;
  const floor = checkpoint > at.slotCreated ? checkpoint : at.slotCreated;
  const ahead = parseLsn(slot.lsn) > floor;
  const problems: string[] = [];
  if (ahead)
    problems.push(`the slot's confirmed LSN ${slot.lsn} is ahead of the sink checkpoint ${formatLsn(checkpoint)}`);
  const audit = auditSink(sink, at.log, { final: false });
  if (audit.duplicated.length > 0) problems.push(`duplicated at the sink: ${audit.duplicated.join(', ')}`);
  if (audit.uncommitted.length > 0) problems.push(`rolled back, yet at the sink: ${audit.uncommitted.join(', ')}`);
  return { ahead, walsenderPid: slot.pid, problems };
}

/**
 * The end of a trial, after the last engine drained and shut down: every committed change at the
 * sink exactly once, each batch one whole committed transaction, nothing else but the end marker, and
 * the slot confirmed exactly to the sink's checkpoint (a clean shutdown confirms what it delivered).
 */
export async function checkEnd(at: {
  readonly source: pg.Client;
  readonly sinkOptions: PostgresCdcOutputOptions;
  readonly slot: string;
  readonly log: WriterLog;
  readonly marker: string;
}): Promise<{ readonly audit: SinkAudit; readonly problems: readonly string[] }> {
  const [end] = (
    await at.source.query<{ lsn: string }>(
      'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
      [at.slot],
    )
  ).rows;
  const contents = await readPostgresSink(at.sinkOptions);
  const problems: string[] = [];
  if (parseLsn(end!.lsn) !== contents.checkpoint)
    problems.push(
      `at the end the slot's confirmed LSN ${end!.lsn} is not the sink checkpoint ${contents.checkpoint === undefined ? 'none' : formatLsn(contents.checkpoint)}`,
    );
  const audit = auditSink(contents, at.log, { final: true, extra: [at.marker] });
  const first = (ids: readonly string[]): string => ids.slice(0, 10).join(', ');
  if (audit.lost.length > 0) problems.push(`lost at the sink: ${first(audit.lost)}`);
  if (audit.duplicated.length > 0) problems.push(`duplicated at the sink: ${first(audit.duplicated)}`);
  if (audit.uncommitted.length > 0) problems.push(`never committed, yet at the sink: ${first(audit.uncommitted)}`);
  if (audit.splitBatches > 0) problems.push(`${audit.splitBatches} sink batches are not one whole transaction`);
  return { audit, problems };
}
