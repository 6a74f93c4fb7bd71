import type { SinkContents } from '@baton/postgres';
import { changeId } from './writers.js';
import type { WriterLog } from './writers.js';

/** What the sink holds compared with what the writers committed. */
export interface SinkAudit {
  /** Changes and batches at the sink. */
  readonly changes: number;
  readonly batches: number;
  /** Committed changes missing from the sink (checked only at the end, when every writer is done). */
  readonly lost: readonly string[];
  /** Changes the sink holds more than once. */
  readonly duplicated: readonly string[];
  /** Changes at the sink that were not committed (rolled back, or unknown). */
  readonly uncommitted: readonly string[];
  /** Sink batches that are not exactly one committed transaction (at the end). */
  readonly splitBatches: number;
}

/**
 * Compares a sink with the writers' log. Between rounds (`final` false) the writers still run, so only
 * what can be judged then is: nothing twice, nothing from a rolled-back transaction. At the end every
 * committed change must be there exactly once, each batch one whole transaction, nothing else besides
 * the `extra` ids (the trial's end marker).
 */
export function auditSink(
  contents: SinkContents,
  log: WriterLog,
  options: { readonly final: boolean; readonly extra?: readonly string[] },
): SinkAudit {
  const seen = new Map<string, number>();
  const batchIds = contents.batches.map((batch) => batch.rows.map((row) => changeId(row) ?? '?'));
  for (const id of batchIds.flat()) seen.set(id, (seen.get(id) ?? 0) + 1);
  const duplicated = [...seen].filter(([, count]) => count > 1).map(([id]) => id);
  const rolledBack = new Set(log.rolledBack);
  const committed = new Set(log.committed.flat());
  const extra = new Set(options.extra ?? []);
  const uncommitted = [...seen.keys()].filter((id) =>
    options.final ? !committed.has(id) && !extra.has(id) : rolledBack.has(id) || id === '?',
  );
  const lost = options.final ? [...committed].filter((id) => !seen.has(id)) : [];
  const transactions = new Set(log.committed.map((ids) => ids.join(' ')));
  const splitBatches = options.final
    ? batchIds.filter((ids) => !transactions.has(ids.join(' ')) && !ids.every((id) => extra.has(id))).length
    : 0;
  return {
    changes: [...seen.values()].reduce((a, b) => a + b, 0),
    batches: contents.batches.length,
    lost,
    duplicated,
    uncommitted,
    splitBatches,
  };
}
