import type { SinkBatch, SinkContents } from '@baton/postgres';
import { describe, expect, it } from 'vitest';
import { auditSink } from './sinkAudit.js';
import type { WriterLog } from './writers.js';

/** A sink batch holding these change ids (inserts into `events`, or a `counters` update for `c…` ids). */
function batch(lsn: number, ids: string[]): SinkBatch {
  return {
    lsnStart: BigInt(lsn),
    lsnEnd: BigInt(lsn + 1),
    commitTimestamp: 0,
    generation: 1n,
    rows: ids.map((id) =>
      id.startsWith('c')
        ? { op: 'update', table: 'counters', new: { writer: '0', last_change: id, total: '1' } }
        : { op: 'insert', table: 'events', new: { id, writer: '0', note: 't' } },
    ),
  };
}

const sink = (...batches: SinkBatch[]): SinkContents => ({ checkpoint: batches.at(-1)?.lsnEnd, batches });
const log: WriterLog = { committed: [['a', 'c1'], ['b']], rolledBack: ['x'] };

// The trial's verdicts come from this comparison: each way a sink can be wrong must show.
describe('auditSink', () => {
  it('passes a sink holding every committed transaction once, as one batch each', () => {
    const audit = auditSink(sink(batch(1, ['a', 'c1']), batch(2, ['b']), batch(3, ['end'])), log, {
      final: true,
      extra: ['end'],
    });
    expect(audit).toEqual({ changes: 4, batches: 3, lost: [], duplicated: [], uncommitted: [], splitBatches: 0 });
  });

  it('finds a lost change, a duplicate, a rolled-back change and a transaction split in two', () => {
    const audit = auditSink(sink(batch(1, ['a']), batch(2, ['c1', 'x']), batch(3, ['a'])), log, { final: true });
    expect(audit.lost).toEqual(['b']);
    expect(audit.duplicated).toEqual(['a']);
    expect(audit.uncommitted).toEqual(['x']);
    expect(audit.splitBatches).toBe(3);
  });

  it('between rounds judges only duplicates and rolled-back changes (the writers are still committing)', () => {
    const audit = auditSink(sink(batch(1, ['b']), batch(2, ['x']), batch(3, ['b'])), log, { final: false });
    expect(audit).toMatchObject({ lost: [], duplicated: ['b'], uncommitted: ['x'], splitBatches: 0 });
  });
});
