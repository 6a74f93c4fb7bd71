import { formatLsn, parseLsn, readPostgresSink } from '@baton/postgres';
import type { PostgresCdcOutputOptions } from '@baton/postgres';
import type pg from 'pg';
import { auditSink } from './sinkAudit.js';
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
