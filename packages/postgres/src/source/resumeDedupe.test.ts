import { fc, test } from '@fast-check/vitest';
import type { Pgoutput } from 'pg-logical-replication';
import { describe, expect, it } from 'vitest';
import { formatLsn } from '../lsn/lsn.js';
import { readChanges } from './cdcLayout.js';
import { TransactionAssembler } from './transactionAssembler.js';
import type { SourceMessage } from './transactionAssembler.js';

const relation: Pgoutput.MessageRelation = {
  tag: 'relation',
  relationOid: 1,
  schema: 'public',
  name: 'items',
  replicaIdentity: 'default',
  columns: [],
  keyColumns: ['id'],
};

/** A committed transaction as the server sends it: BEGIN, its inserts, COMMIT. */
interface Sent {
  readonly commitLsn: bigint;
  readonly endLsn: bigint;
  readonly ids: readonly string[];
}

function messages(t: Sent): SourceMessage[] {
  const time = 1_700_000_000_000_000n;
  return [
    { tag: 'begin', commitLsn: formatLsn(t.commitLsn), commitTime: time, xid: Number(t.commitLsn % 1000n) },
    relation,
    ...t.ids.map((id): SourceMessage => ({ tag: 'insert', relation, new: { id, note: null } })),
    { tag: 'commit', flags: 0, commitLsn: formatLsn(t.commitLsn), commitEndLsn: formatLsn(t.endLsn), commitTime: time },
  ];
}

/** Transactions in commit order with non-overlapping [commit, end) ranges (gaps between them too). */
const transactions = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 50 }),
      size: fc.integer({ min: 8, max: 40 }),
      rows: fc.integer({ min: 0, max: 3 }),
    }),
    {
      minLength: 1,
      maxLength: 8,
    },
  )
  .map((shapes) => {
    let at = 0x1_0000_0000n;
    return shapes.map(({ gap, size, rows }, i): Sent => {
      const commitLsn = at + BigInt(gap);
      at = commitLsn + BigInt(size);
      return { commitLsn, endLsn: at, ids: Array.from({ length: rows }, (_, r) => `${i}.${r}`) };
    });
  });

describe('TransactionAssembler after a reconnection', () => {
  test.prop(
    [
      transactions.chain((sent) =>
        fc.record({
          sent: fc.constant(sent),
          // Transactions handed over before the connection broke, …
          handed: fc.integer({ min: 0, max: sent.length }),
          // … messages of the next one already received (a transaction cut in the middle), …
          partial: fc.integer({ min: 0, max: 10 }),
          // … and where the server resends from: the confirmed position, at or before what was handed over.
          resendFrom: fc.nat(),
        }),
      ),
    ],
    { numRuns: 200 },
  )(
    'hands over every transaction exactly once, in order, whatever the server sends again from the confirmed position',
    ({ sent, handed, partial, resendFrom }) => {
      const assembler = new TransactionAssembler('test');
      const out: string[] = [];
      const feed = (message: SourceMessage): void => {
        const batch = assembler.accept(message);
        if (batch)
          out.push(
            `${batch.lsnStart}:${readChanges(batch.mutations)
              .map((r) => r.new!['id'])
              .join(',')}`,
          );
      };
      for (const t of sent.slice(0, handed)) messages(t).forEach(feed);
      const cut = sent[handed];
      if (cut)
        messages(cut)
          .slice(0, Math.min(partial, messages(cut).length - 1))
          .forEach(feed); // never its COMMIT
      assembler.resume(); // a new session
      for (const t of sent.slice(resendFrom % (handed + 1))) messages(t).forEach(feed);
      expect(out).toEqual(sent.map((t) => `${t.commitLsn}:${t.ids.join(',')}`));
      expect(assembler.dropped).toBe(handed - (resendFrom % (handed + 1)));
    },
  );

  it('drops a resent transaction with a handed-over commit LSN, keeps the next; going back later is CORRUPT_INPUT again', () => {
    const a: Sent = { commitLsn: 100n, endLsn: 120n, ids: ['a'] };
    const b: Sent = { commitLsn: 130n, endLsn: 150n, ids: ['b'] };
    const assembler = new TransactionAssembler('test');
    const batches = (t: Sent) =>
      messages(t)
        .map((m) => assembler.accept(m))
        .filter((x) => x !== undefined);
    expect(batches(a)).toHaveLength(1);
    assembler.resume();
    expect(batches(a)).toEqual([]); // the same commit LSN: handed over already
    expect(assembler.dropped).toBe(1);
    expect(batches(b).map((batch) => batch.lsnStart)).toEqual([130n]);
    let code: string | undefined;
    try {
      batches(a); // within one session, a commit before the last end is still out of place
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).toBe('CORRUPT_INPUT');
  });
});
