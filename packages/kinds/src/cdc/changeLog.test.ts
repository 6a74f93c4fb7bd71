import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { RecordBatch } from 'apache-arrow';
import { batchAt, ranges } from './__tests__/cdcFixtures.js';
import { ChangeLog } from './changeLog.js';

const sizes = fc.array(fc.nat({ max: 6 }), { maxLength: 25 });

const mutationsOf = new Map<number, RecordBatch>();
const rowsOf = (rows: number): RecordBatch =>
  mutationsOf.get(rows) ?? mutationsOf.set(rows, batchAt(0n, rows).mutations).get(rows)!;

function filled(rowCounts: readonly number[], startLsn = 0n): ChangeLog {
  const log = new ChangeLog({ startLsn });
  rowCounts.forEach((rows, i) => log.append(rowsOf(rows), 1000 + i));
  return log;
}

describe('ChangeLog', () => {
  test.prop([sizes, fc.bigInt({ min: 0n, max: 1000n }), fc.nat({ max: 200 })], { numRuns: 100 })(
    'assigns contiguous LSNs and readFrom(lsn) yields exactly the batches ending after lsn, in order',
    async (rowCounts, start, offset) => {
      const log = filled(rowCounts, start);
      const all = [...log.readFrom(start)];
      expect(all).toHaveLength(rowCounts.length);
      let lsn = start;
      all.forEach((batch, i) => {
        expect(batch.lsnStart).toBe(lsn);
        expect(batch.lsnEnd - batch.lsnStart).toBe(BigInt(Math.max(1, rowCounts[i]!)));
        expect(batch.mutations.numRows).toBe(rowCounts[i]);
        expect(batch.commitTimestamp).toBe(1000 + i);
        lsn = batch.lsnEnd;
      });
      expect(log.headLsn).toBe(lsn);
      const from = start + BigInt(offset);
      const expected = all.filter((b) => b.lsnEnd > from);
      expect(ranges([...log.readFrom(from)])).toEqual(ranges(expected));
      const viaAsync = [];
      for await (const batch of log.readFrom(from)) viaAsync.push(batch);
      expect(viaAsync).toEqual(expected);
    },
  );

  test.prop([sizes, fc.nat({ max: 200 }), fc.nat({ max: 200 })], { numRuns: 100 })(
    'truncateBefore drops what every reader is past, and refuses reads of dropped batches',
    (rowCounts, cut, read) => {
      const log = filled(rowCounts);
      const all = [...log.readFrom(0n)];
      const dropped = log.truncateBefore(BigInt(cut));
      const kept = all.filter((b) => b.lsnEnd > BigInt(cut));
      expect(dropped).toBe(all.length - kept.length);
      expect(log.size).toBe(kept.length);
      expect(log.floorLsn).toBe(dropped === 0 ? 0n : all[dropped - 1]!.lsnEnd);
      const from = BigInt(read);
      if (from < log.floorLsn) {
        expect(() => log.readFrom(from)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      } else {
        expect(ranges([...log.readFrom(from)])).toEqual(ranges(kept.filter((b) => b.lsnEnd > from)));
      }
      expect(log.headLsn).toBe(all.at(-1)?.lsnEnd ?? 0n);
    },
  );

  it('compacts its storage after long truncation without losing order', () => {
    const log = filled(Array.from({ length: 3000 }, () => 1));
    expect(log.truncateBefore(2500n)).toBe(2500);
    expect(log.truncateBefore(2600n)).toBe(100);
    expect(ranges([...log.readFrom(2998n)])).toEqual(['2998-2999', '2999-3000']);
    expect(log.size).toBe(400);
  });

  it('takes batches with their own ranges: contiguous by default, gaps only when allowed', () => {
    const log = new ChangeLog({ name: 'orders' });
    log.append(batchAt(0n, 2));
    expect(() => log.append(batchAt(1n, 2))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('overlaps') }),
    );
    expect(() => log.append(batchAt(5n, 1))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('gap') }),
    );
    const gappy = new ChangeLog({ gaps: 'allow' });
    gappy.append(batchAt(0n, 2));
    gappy.append(batchAt(10n, 1));
    expect(ranges([...gappy.readFrom(3n)])).toEqual(['10-11']);
    expect(gappy.headLsn).toBe(11n);
  });

  it('rejects malformed input with typed errors and stores frozen copies', () => {
    const log = new ChangeLog();
    const bad = (value: unknown): void => {
      expect(() => log.append(value as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', phase: 'call' }),
      );
    };
    const good = batchAt(0n, 1);
    bad(null);
    bad({ ...good, lsnStart: 0 });
    bad({ ...good, lsnEnd: 0n });
    bad({ ...good, lsnStart: -1n });
    bad({ ...good, mutations: {} });
    bad({ ...good, commitTimestamp: Number.NaN });
    bad({ ...good, lsnEnd: 2n ** 64n });
    expect(() => new ChangeLog({ startLsn: 1 as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => log.readFrom(-1n)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => log.truncateBefore('1' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    const stored = log.append(good);
    expect(Object.isFrozen(stored)).toBe(true);
    expect(log.headLsn).toBe(1n);
  });

  it('iterations are live: batches appended while reading are yielded', () => {
    const log = filled([1, 1]);
    const seen: string[] = [];
    for (const batch of log.readFrom(0n)) {
      seen.push(`${batch.lsnStart}`);
      if (log.headLsn < 4n) log.append(rowsOf(1));
    }
    expect(seen).toEqual(['0', '1', '2', '3']);
  });

  it('follow() tails the log and ends when its signal aborts', async () => {
    const log = filled([2]);
    const controller = new AbortController();
    const seen: bigint[] = [];
    const done = (async () => {
      for await (const batch of log.follow(0n, { signal: controller.signal })) {
        seen.push(batch.lsnStart);
        if (seen.length === 3) controller.abort();
      }
    })();
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([0n]);
    log.append(rowsOf(1));
    log.append(rowsOf(1));
    await done;
    expect(seen).toEqual([0n, 2n, 3n]);
    const idle = new AbortController();
    const waiting = (async () => {
      const got = [];
      for await (const batch of log.follow(log.headLsn, { signal: idle.signal })) got.push(batch);
      return got;
    })();
    idle.abort();
    expect(await waiting).toEqual([]);
  });
});
