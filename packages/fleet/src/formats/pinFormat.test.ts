import { isReloadError } from '@baton/core';
import type { CrdtKindProvider, CrdtState } from '@baton/core';
import { checkCrdtCompat } from '@baton/core/kit';
import { gCounter, orSet, pnCounter } from '@baton/kinds';
import type { GCounterOp } from '@baton/kinds';
import { peekEnvelope } from '@baton/kinds/codec';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { pinFormat } from './pinFormat.js';

const ops = fc.array(
  fc.record({ replica: fc.constantFrom('a', 'b', 'c', 'é-d'), by: fc.integer({ min: 1, max: 2 ** 32 }) }),
  { maxLength: 20 },
);

function stateOf<S extends { apply(op: GCounterOp): void }>(empty: S, list: readonly GCounterOp[]): S {
  for (const op of list) empty.apply(op);
  return empty;
}

const context = (key: string) => ({
  kind: 'crdtKind',
  key,
  signal: new AbortController().signal,
  timeoutMs: 10_000,
  samples: [],
  liveResources: [],
  maxStates: 64,
});

/** The same provider, every method returning a promise (a provider may be asynchronous). */
function asynchronous<Op, V>(provider: CrdtKindProvider<Op, V>): CrdtKindProvider<Op, V> {
  return {
    kind: provider.kind,
    ...(provider.formatVersion === undefined ? {} : { formatVersion: provider.formatVersion }),
    empty: async () => provider.empty(),
    fromPersisted: async (bytes) => provider.fromPersisted(bytes),
    ...(provider.schemaCompatCheck ? { schemaCompatCheck: async (old) => provider.schemaCompatCheck!(old) } : {}),
    ...(provider.samples ? { samples: () => provider.samples!() } : {}),
  };
}

describe('pinFormat', () => {
  const pinned = pinFormat(gCounter({ format: 2 }), gCounter({ format: 1 }));

  test.prop([ops, ops])('writes the pinned format and reads both, values unchanged', async (first, second) => {
    const fromV2 = stateOf(gCounter({ format: 2 }).empty(), first);
    const fromV1 = stateOf(gCounter({ format: 1 }).empty(), second);
    for (const source of [fromV2, fromV1]) {
      const read = await pinned.fromPersisted(source.persist());
      expect(await read.value()).toBe(source.value());
      const bytes = await read.persist();
      expect(peekEnvelope(bytes)).toEqual({ kind: 'g-counter', formatVersion: 1 });
      // A process of the old version (format 1 only) reads what the pinned provider writes.
      expect(gCounter({ format: 1 }).fromPersisted(bytes).counts()).toEqual(source.counts());
    }
    const empty = await pinned.empty();
    expect(peekEnvelope(await empty.persist())).toEqual({ kind: 'g-counter', formatVersion: 1 });
  });

  it('is synchronous over synchronous providers, and asynchronous over asynchronous ones', async () => {
    const bytes = stateOf(gCounter({ format: 2 }).empty(), [{ replica: 'a', by: 5 }]).persist();
    const now = pinned.fromPersisted(bytes) as CrdtState<GCounterOp, number>;
    expect(typeof (now as { then?: unknown }).then).toBe('undefined');
    expect(now.value()).toBe(5);
    const later = pinFormat(asynchronous(gCounter({ format: 2 })), asynchronous(gCounter({ format: 1 })));
    const promised = later.fromPersisted(bytes);
    expect(promised).toBeInstanceOf(Promise);
    const state = await promised;
    expect(await state.value()).toBe(5);
    expect(peekEnvelope(await state.persist())).toEqual({ kind: 'g-counter', formatVersion: 1 });
    expect(await checkCrdtCompat(gCounter({ format: 2 }), later, context('g-counter'))).toEqual({
      type: 'compatible',
    });
  });

  it("takes over the old version's state and the switched version's state (the host's compat check)", async () => {
    expect(pinned.formatVersion).toBe(1);
    expect(await checkCrdtCompat(gCounter({ format: 1 }), pinned, context('g-counter'))).toEqual({
      type: 'compatible',
    });
    // Undoing a switch: format-2 states move into the pinned provider.
    expect(await checkCrdtCompat(gCounter({ format: 2 }), pinned, context('g-counter'))).toEqual({
      type: 'compatible',
    });
    // The switch itself: the newest provider migrates the pinned one's format-1 state.
    const verdict = await checkCrdtCompat(pinned, gCounter({ format: 2 }), context('g-counter'));
    expect(verdict.type).toBe('compatibleAfterMigration');
    // The provider the v1 process runs reads what the pinned one writes.
    expect(await checkCrdtCompat(pinned, gCounter({ format: 1 }), context('g-counter'))).toEqual({
      type: 'compatible',
    });
  });

  it('refuses what neither provider reads, with the error of the provider that reads the most', () => {
    const other = orSet().empty().persist();
    expect(() => pinned.fromPersisted(other)).toThrow(expect.objectContaining({ code: 'CORRUPT_INPUT' }));
    let error: unknown;
    try {
      pinned.fromPersisted(new Uint8Array([0xc1, 1, 2]));
    } catch (caught) {
      error = caught;
    }
    expect(isReloadError(error) && error.code).toBe('CORRUPT_INPUT');
  });

  it('a rejected asynchronous read falls back to the newest provider', async () => {
    const rejecting: CrdtKindProvider = {
      ...asynchronous(gCounter({ format: 1 })),
      fromPersisted: () => Promise.reject(new Error('format 1 only')),
    };
    const provider = pinFormat(asynchronous(gCounter({ format: 2 })), rejecting);
    const bytes = stateOf(gCounter({ format: 2 }).empty(), [{ replica: 'x', by: 3 }]).persist();
    expect(await (await provider.fromPersisted(bytes)).value()).toBe(3);
  });

  it('returns the newest provider itself when both write one format', () => {
    const newest = orSet();
    expect(pinFormat(newest, orSet())).toBe(newest);
  });

  it('refuses providers of two kinds, a pinned provider without formatVersion, and non-providers', () => {
    const codeOf = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (error) {
        return isReloadError(error) ? error.code : error;
      }
      return 'no error';
    };
    expect(codeOf(() => pinFormat(gCounter({ format: 2 }) as CrdtKindProvider, pnCounter() as CrdtKindProvider))).toBe(
      'INVALID_ARGUMENT',
    );
    const { formatVersion: _, ...undeclared } = gCounter({ format: 1 });
    expect(codeOf(() => pinFormat(gCounter({ format: 2 }), undeclared))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => pinFormat(gCounter({ format: 2 }), null as never))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => pinFormat({} as never, gCounter()))).toBe('INVALID_ARGUMENT');
  });
});
