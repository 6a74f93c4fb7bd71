import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../codec/envelope.js';
import { crdtLawSuite, expectReloadError, REPLICAS, runScenario, scenarioArb } from './__tests__/crdtHarness.js';
import { gCounter } from './gCounter.js';
import type { GCounterOp } from './gCounterState.js';

const opOf = (replica: string): fc.Arbitrary<GCounterOp> =>
  fc.record({ replica: fc.constant(replica), by: fc.integer({ min: 1, max: 1_000 }) });

const badOps = [
  { replica: 'a', by: 0 },
  { replica: 'a', by: -1 },
  { replica: 'a', by: 1.5 },
  { replica: 'a', by: Number.NaN },
  { replica: 'a', by: '1' },
  { replica: 'a', by: 2 ** 53 },
  { replica: 'a' },
  { by: 1 },
  { replica: '', by: 1 },
  { replica: 7, by: 1 },
  { replica: 'x'.repeat(257), by: 1 },
  { replica: '\uD800', by: 1 },
];

crdtLawSuite(gCounter(), opOf, badOps);
crdtLawSuite(gCounter({ format: 2 }), opOf, badOps);

describe('g-counter semantics', () => {
  test.prop([scenarioArb(opOf)])('once every replica has merged every other, each counts every increment', (steps) => {
    const { replicas } = runScenario(gCounter(), steps);
    for (const r of replicas) for (const other of replicas) r.merge(other);
    const total = steps.reduce((sum, step) => sum + ('op' in step ? step.op.by : 0), 0);
    for (const r of replicas) expect(r.value()).toBe(total);
    for (const [i, id] of REPLICAS.entries()) {
      const own = steps.reduce((sum, step) => sum + ('op' in step && step.at === i ? step.op.by : 0), 0);
      expect(replicas[0]!.count(id)).toBe(own);
    }
  });

  it('refuses to count a replica past 2^53 − 1 and keeps its count', () => {
    const state = gCounter().empty();
    state.apply({ replica: 'a', by: Number.MAX_SAFE_INTEGER - 1 });
    state.apply({ replica: 'a', by: 1 });
    expectReloadError(() => {
      state.apply({ replica: 'a', by: 1 });
    }, 'INVALID_ARGUMENT');
    expect(state.count('a')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('sums beyond 2^53 deterministically, whatever the merge order', () => {
    const parts = ['a', 'b', 'c', 'd'].map((replica, i) => {
      const s = gCounter().empty();
      s.apply({ replica, by: Number.MAX_SAFE_INTEGER - i });
      return s;
    });
    const forward = gCounter().empty();
    const backward = gCounter().empty();
    for (const p of parts) forward.merge(p);
    for (const p of [...parts].reverse()) backward.merge(p);
    expect(forward.value()).toBe(backward.value());
    expect(forward.value()).toBe(Number(4n * BigInt(Number.MAX_SAFE_INTEGER) - 6n));
  });

  it('persists format 1 as a replica → count map and format 2 as [ids, varint counts]', () => {
    const state = gCounter().empty();
    state.apply({ replica: 'a', by: 300 });
    state.apply({ replica: 'b', by: 1 });
    expect(decodeEnvelope(state.persist(), { kind: 'g-counter', versions: [1] }).body).toEqual(
      new Map([
        ['a', 300],
        ['b', 1],
      ]),
    );
    const v2 = gCounter({ format: 2 }).fromPersisted(state.persist());
    expect(v2.formatVersion).toBe(2);
    expect(decodeEnvelope(v2.persist(), { kind: 'g-counter', versions: [2] }).body).toEqual([
      ['a', 'b'],
      new Uint8Array([0xac, 0x02, 0x01]),
    ]);
    expect(v2.counts()).toEqual(
      new Map([
        ['a', 300],
        ['b', 1],
      ]),
    );
  });

  it('v2 reads v1 bytes (merges from replicas still on v1); v1 refuses v2 bytes', () => {
    const v1 = gCounter().empty();
    v1.apply({ replica: 'a', by: 5 });
    const v2 = gCounter({ format: 2 }).empty();
    v2.apply({ replica: 'b', by: 2 });
    v2.merge(gCounter({ format: 2 }).fromPersisted(v1.persist()));
    expect(v2.value()).toBe(7);
    expect(expectReloadError(() => gCounter().fromPersisted(v2.persist()), 'CORRUPT_INPUT').message).toContain(
      'unknown format version 2',
    );
  });

  it('checks bodies strictly: zero or negative counts, bad ids, stray bytes', () => {
    const v1 = (body: unknown) => () => gCounter().fromPersisted(encodeEnvelope('g-counter', 1, body));
    const v2 = (body: unknown) => () => gCounter({ format: 2 }).fromPersisted(encodeEnvelope('g-counter', 2, body));
    expectReloadError(v1(new Map([['a', 0]])), 'CORRUPT_INPUT');
    expectReloadError(v1(new Map([['a', -3]])), 'CORRUPT_INPUT');
    expectReloadError(v1(new Map([['', 3]])), 'CORRUPT_INPUT');
    expectReloadError(v1(new Map([[1, 3]])), 'CORRUPT_INPUT');
    expectReloadError(v1({ a: 1 }), 'CORRUPT_INPUT');
    expectReloadError(v2([['a'], new Uint8Array([1, 1])]), 'CORRUPT_INPUT');
    expectReloadError(v2([['a'], new Uint8Array([0])]), 'CORRUPT_INPUT');
    expectReloadError(v2([['a', 'a'], new Uint8Array([1, 1])]), 'CORRUPT_INPUT');
    expectReloadError(v2([['a', 'b'], new Uint8Array([1])]), 'CORRUPT_INPUT');
    expectReloadError(
      v2([['a'], new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])]),
      'CORRUPT_INPUT',
    );
    expectReloadError(v2([Array.from({ length: 1000 }, (_, i) => `r${i}`), new Uint8Array(10)]), 'CORRUPT_INPUT');
  });

  it('keeps a replica named __proto__ or constructor as plain data', () => {
    const body = new Map([
      ['__proto__', 2],
      ['constructor', 3],
    ]);
    const state = gCounter().fromPersisted(encodeEnvelope('g-counter', 1, body));
    expect(state.value()).toBe(5);
    expect(state.count('__proto__')).toBe(2);
    expect(({} as Record<string, unknown>)['constructor']).toBe(Object);
  });

  it('honours maxBytes and validates it', () => {
    const state = gCounter().empty();
    state.apply({ replica: 'a-rather-long-replica-id', by: 1 });
    expectReloadError(() => gCounter({ maxBytes: 16 }).fromPersisted(state.persist()), 'CORRUPT_INPUT');
    expectReloadError(() => gCounter({ maxBytes: -1 }), 'INVALID_ARGUMENT');
    expect(gCounter({ maxBytes: 1024 }).fromPersisted(state.persist()).value()).toBe(1);
  });

  it('picks the format with an option, and refuses a format it has not and an unknown option', () => {
    expect(gCounter().formatVersion).toBe(1);
    expect(gCounter({ format: 1 }).formatVersion).toBe(1);
    expect(gCounter({ format: 2, maxBytes: 1024 }).formatVersion).toBe(2);
    const unknownFormat = expectReloadError(() => gCounter({ format: 3 as never }), 'INVALID_ARGUMENT');
    expect(unknownFormat.message).toContain('format must be 1 or 2, not 3');
    // A misspelt option would otherwise pick format 1 silently.
    const misspelt = expectReloadError(() => gCounter({ fromat: 2 } as never), 'INVALID_ARGUMENT');
    expect(misspelt.message).toContain("unknown option(s) 'fromat' (known: maxBytes, format)");
    expect(misspelt).toMatchObject({ kind: 'crdtKind', key: 'g-counter' });
  });
});
