import type { Pgoutput } from 'pg-logical-replication';
import { describe, expect, it } from 'vitest';
import { formatLsn } from '../lsn/lsn.js';
import { readChanges } from './cdcLayout.js';
import { Handover } from './handover.js';
import { TextPgoutputPlugin } from './textPgoutputPlugin.js';
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
const begin = (lsn: bigint, xid = 7): SourceMessage => ({
  tag: 'begin',
  commitLsn: formatLsn(lsn),
  commitTime: 1_700_000_000_000_000n,
  xid,
});
const commit = (lsn: bigint, end: bigint): SourceMessage => ({
  tag: 'commit',
  flags: 0,
  commitLsn: formatLsn(lsn),
  commitEndLsn: formatLsn(end),
  commitTime: 1_700_000_000_000_000n,
});
const insert = (id: string): SourceMessage => ({ tag: 'insert', relation, new: { id, note: null } });

const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('TransactionAssembler', () => {
  it('makes one batch per transaction: [commit LSN, end LSN), its rows in order, the commit time in ms', () => {
    const assembler = new TransactionAssembler('test');
    expect(assembler.accept(begin(0x1_0000_0010n))).toBeUndefined();
    assembler.accept(relation);
    assembler.accept(insert('1'));
    assembler.accept(insert('2'));
    const batch = assembler.accept(commit(0x1_0000_0010n, 0x1_0000_0040n))!;
    expect([batch.lsnStart, batch.lsnEnd, batch.commitTimestamp]).toEqual([
      0x1_0000_0010n,
      0x1_0000_0040n,
      1_700_000_000_000,
    ]);
    expect(readChanges(batch.mutations).map((r) => [r.op, r.table, r.key, r.new])).toEqual([
      ['insert', 'public.items', { id: '1' }, { id: '1', note: null }],
      ['insert', 'public.items', { id: '2' }, { id: '2', note: null }],
    ]);
  });

  it('refuses messages out of place with CORRUPT_INPUT', () => {
    const fresh = () => new TransactionAssembler('test');
    expect(codeOf(() => fresh().accept(insert('1')))).toBe('CORRUPT_INPUT'); // outside a transaction
    expect(codeOf(() => fresh().accept(commit(16n, 32n)))).toBe('CORRUPT_INPUT');
    const twice = fresh();
    twice.accept(begin(16n));
    expect(codeOf(() => twice.accept(begin(48n, 8)))).toBe('CORRUPT_INPUT');
    const other = fresh();
    other.accept(begin(16n));
    expect(codeOf(() => other.accept(commit(24n, 32n)))).toBe('CORRUPT_INPUT'); // another transaction's commit
    const backwards = fresh();
    backwards.accept(begin(16n));
    expect(codeOf(() => backwards.accept(commit(16n, 16n)))).toBe('CORRUPT_INPUT'); // end not after start
    const overlapping = fresh();
    overlapping.accept(begin(100n));
    const empty = overlapping.accept(commit(100n, 200n))!; // a transaction without rows: a batch of none
    expect([empty.mutations.numRows, readChanges(empty.mutations)]).toEqual([0, []]);
    overlapping.accept(begin(150n));
    expect(codeOf(() => overlapping.accept(commit(150n, 300n)))).toBe('CORRUPT_INPUT'); // starts before the last end
    const binary = fresh();
    binary.accept(begin(16n));
    expect(codeOf(() => binary.accept({ tag: 'insert', relation, new: { id: Buffer.from('1') } }))).toBe(
      'CORRUPT_INPUT',
    );
  });

  it('turns bytes pg-logical-replication cannot parse into CORRUPT_INPUT, not a thrown parser error', () => {
    const plugin = new TextPgoutputPlugin('pub');
    for (const bytes of [Buffer.from([0x51]), Buffer.from([0x49, 0, 0, 0, 9]), Buffer.from([0x42, 1])]) {
      const message = plugin.parse(bytes) as SourceMessage;
      expect(message.tag).toBe('undecodable');
      expect(codeOf(() => new TransactionAssembler('test').accept(message))).toBe('CORRUPT_INPUT');
    }
  });
});

describe('Handover', () => {
  it('releases the producer of a value only when the consumer asks for the next one', async () => {
    const handover = new Handover<number>('test');
    const released: number[] = [];
    const put = (value: number) =>
      handover.put(value).then(() => {
        released.push(value);
      });
    const first = put(1);
    expect(await handover.take()).toBe(1);
    await Promise.resolve();
    expect(released).toEqual([]); // taken, but not yet delivered
    const taking = handover.take(); // delivered: asks for the next
    await first;
    expect(released).toEqual([1]);
    const second = put(2);
    expect(await taking).toBe(2);
    handover.close();
    await second;
    expect(await handover.take()).toBeUndefined();
  });

  it('rejects a waiting take with ABORTED and keeps a later value for the next take', async () => {
    const handover = new Handover<number>('test');
    const controller = new AbortController();
    const waiting = handover.take(controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'ABORTED' });
    void handover.put(5);
    expect(await handover.take()).toBe(5);
    handover.fail(new Error('stream lost'));
    await expect(handover.take()).rejects.toThrow('stream lost');
  });
});
