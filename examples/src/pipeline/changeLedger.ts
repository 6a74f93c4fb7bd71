import type { SinkContents } from '@baton/postgres';

/** The identity of one change, the same from the writer's side and from a sink row. */
export function changeSignature(op: string, table: string, id: string, cid?: string): string {
  return op === 'delete' ? `delete ${table} ${id}` : `${op} ${table} ${id} ${cid ?? '?'}`;
}

/**
 * What the writer clients committed to PostgreSQL, change by change. Each insert and update carries
 * a `cid` (change id) no other change has; a delete is identified by its row, which is deleted at
 * most once (ids are never reused). Only committed transactions enter `committed`; those the
 * writers rolled back enter `rolledBack` (the sink must hold none of them).
 */
export class ChangeLedger {
  readonly committed: string[] = [];
  readonly rolledBack: string[] = [];
  transactions = 0;
  rollbacks = 0;
  failures = 0;
  readonly errors: string[] = [];
  #nextId = 1;

  /** A fresh id (row ids and change ids share one sequence). */
  nextId(): number {
    return this.#nextId++;
  }
}

/** The sink compared with the ledger. */
export interface SinkCheck {
  readonly written: number;
  readonly inSink: number;
  readonly batches: number;
  /** Committed changes the sink does not hold. */
  readonly lost: number;
  /** Changes the sink holds more than once. */
  readonly duplicated: number;
  /** Changes the sink holds that were never committed (rolled back, or unknown). */
  readonly phantom: number;
  readonly checkpoint: bigint | undefined;
}

/** Reads each sink row (the change source's layout, as jsonb) as its signature. */
function signatureOfRow(row: unknown): string {
  const {
    op,
    table,
    key,
    new: next,
  } = row as {
    op: string;
    table: string;
    key: Record<string, string> | null;
    new: Record<string, string> | null;
  };
  return op === 'delete'
    ? changeSignature(op, table, key?.['id'] ?? '?')
    : changeSignature(op, table, next?.['id'] ?? '?', next?.['cid'] ?? '?');
}

/** Compares what the sink holds with what the writers committed: lost, duplicated, phantom. */
export function checkSink(ledger: ChangeLedger, sink: SinkContents): SinkCheck {
  const counts = new Map<string, number>();
  for (const batch of sink.batches)
    for (const row of batch.rows) {
      const signature = signatureOfRow(row);
      counts.set(signature, (counts.get(signature) ?? 0) + 1);
    }
  const committed = new Set(ledger.committed);
  let inSink = 0;
  let duplicated = 0;
  let phantom = 0;
  for (const [signature, count] of counts) {
    inSink += count;
    duplicated += count - 1;
    if (!committed.has(signature)) phantom += count;
  }
  return {
    written: ledger.committed.length,
    inSink,
    batches: sink.batches.length,
    lost: ledger.committed.filter((signature) => !counts.has(signature)).length,
    duplicated,
    phantom,
    checkpoint: sink.checkpoint,
  };
}
