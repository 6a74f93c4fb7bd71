/** The broken CRDT providers: each is refused by the compat checks it exists to demonstrate, and is otherwise sound. */
import { crc32 } from 'node:zlib';
import { createPluginHost, definePlugin, isReloadError, ReloadError } from '@baton/core';
import { checkCrdtCompat } from '@baton/core/kit';
import type { CompatContext, CrdtKindProvider } from '@baton/core';
import { gCounter, pnCounter } from '@baton/kinds';
import type { PnCounterOp } from '@baton/kinds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceOps } from '../arbitraries/crdtOps.js';
import { assertRejectsGarbage } from '../checks/garbageBytes.js';
import { crdtKindConformance } from '../conformance/crdtKindConformance.js';
import { brokenCrdts } from './brokenCrdts.js';

/** A compat-check context as a host builds one. */
function compatContext(
  key: string,
  extra: Partial<Pick<CompatContext, 'samples' | 'liveResources'>> = {},
): CompatContext {
  return {
    kind: 'crdtKind',
    key,
    signal: new AbortController().signal,
    timeoutMs: 10_000,
    samples: [],
    liveResources: [],
    maxStates: 256,
    ...extra,
  };
}

/** The ReloadError `fn` throws, checked to carry `code` (and the phase of that code). */
function expectReloadError(fn: () => unknown, code: 'CORRUPT_INPUT' | 'INVALID_ARGUMENT'): ReloadError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReloadError);
    expect(error).toMatchObject({ code, phase: code === 'CORRUPT_INPUT' ? 'decode' : 'call' });
    return error as ReloadError;
  }
  expect.fail(`expected a ${code} ReloadError`);
}

describe('brokenCrdts.lossyPnCounter (a counterexample the compat check must catch)', () => {
  const lossy = brokenCrdts.lossyPnCounter();

  it('claims compatibility, and the empty state round-trips through it unchanged', async () => {
    expect(await lossy.schemaCompatCheck?.(pnCounter())).toEqual({ type: 'compatible' });
    const empty = pnCounter().empty();
    const read = lossy.fromPersisted(empty.persist());
    expect(read.value()).toStrictEqual(empty.value());
    // A state without decrements survives too: only N is lost.
    const up = pnCounter().empty();
    up.apply({ replica: 'a', by: 3 });
    expect(lossy.fromPersisted(up.persist()).value()).toBe(3);
  });

  it('is caught as incompatible on reachable states (the old provider samples decrements)', async () => {
    const verdict = await checkCrdtCompat(pnCounter(), lossy, compatContext('pn-counter'));
    expect(verdict.type).toBe('incompatible');
    expect(verdict).toMatchObject({
      reason: expect.stringMatching(/value of sample \d+ .* changed across the round trip: 3 → 5/),
    });
  });

  it('is caught on a live state alone, when the old provider has no samples', async () => {
    const { samples: _samples, ...withoutSamples } = pnCounter();
    const live = pnCounter().empty();
    live.apply({ replica: 'a', by: 10 });
    live.apply({ replica: 'b', by: -4 });
    const verdict = await checkCrdtCompat(
      withoutSamples,
      lossy,
      compatContext('pn-counter', { liveResources: [{ name: 'balance', resource: live }] }),
    );
    expect(verdict).toMatchObject({
      type: 'incompatible',
      reason: expect.stringContaining("live state 'balance' changed across the round trip: 6 → 10"),
    });
  });

  it('with only the empty state to go on, the check refuses to call it compatible', async () => {
    const { samples: _samples, ...withoutSamples } = pnCounter();
    const verdict = await checkCrdtCompat(withoutSamples, lossy, compatContext('pn-counter'));
    expect(verdict).toMatchObject({ type: 'incompatible', reason: expect.stringContaining('unproven') });
  });

  it('persists its own states as format 2 and reads them back, decrements lost', () => {
    const state = lossy.empty();
    state.apply({ replica: 'a', by: 5 });
    state.apply({ replica: 'a', by: -2 });
    expect(state.value()).toBe(3);
    expect(lossy.fromPersisted(state.persist()).value()).toBe(5);
  });

  it('is refused by a host before anything pauses, and the old version keeps serving', async () => {
    const engine = (version: string, kind: CrdtKindProvider) =>
      definePlugin({ name: 'engine', version, register: (r) => void r.crdtKind(kind) });
    await using host = createPluginHost();
    await host.load(engine('1.0.0', pnCounter()));
    const balance = await host.openCrdt<PnCounterOp, number>({ name: 'balance', key: 'pn-counter' });
    await balance.apply({ replica: 'a', by: 10 });
    await balance.apply({ replica: 'a', by: -3 });
    await expect(host.reload(engine('2.0.0', lossy))).rejects.toMatchObject({
      code: 'SCHEMA_INCOMPATIBLE',
      kind: 'crdtKind',
      key: 'pn-counter',
    });
    expect(await balance.value()).toBe(7);
    expect(host.plugins()[0]).toMatchObject({ version: '1.0.0' });
  });
});

describe('brokenCrdts.unmigratedGCounter (honest counterexample)', () => {
  const v3 = brokenCrdts.unmigratedGCounter();

  it('declares itself incompatible with v1 and v2 state, and compatible with its own', async () => {
    for (const old of [gCounter(), gCounter({ format: 2 })]) {
      const verdict = await checkCrdtCompat(old, v3, compatContext('g-counter'));
      expect(verdict).toMatchObject({ type: 'incompatible', reason: expect.stringContaining('no migration') });
    }
    expect(await checkCrdtCompat(v3, v3, compatContext('g-counter'))).toEqual({ type: 'compatible' });
  });

  it('really cannot read older bytes, and round-trips its own', () => {
    const v2 = gCounter({ format: 2 }).empty();
    v2.apply({ replica: 'a', by: 2 });
    expectReloadError(() => v3.fromPersisted(v2.persist()), 'CORRUPT_INPUT');
    const state = v3.empty();
    state.merge(v2);
    expect(v3.fromPersisted(state.persist()).value()).toBe(2);
  });

  describe('is otherwise a sound G-Counter (the shared conformance suite)', () => {
    for (const c of crdtKindConformance(v3, { ops: referenceOps.gCounter, numRuns: 30 })) it(c.name, c.run, 60_000);
  });
});

/** A Baton envelope (valid CRC-32) of `[kind, formatVersion, body]`, the body given as raw msgpack bytes. */
function craftedEnvelope(kind: string, formatVersion: number, body: ArrayLike<number>): Uint8Array {
  const name = Buffer.from(kind, 'utf8');
  const payload = Uint8Array.from([0x93, 0xa0 | name.length, ...name, formatVersion, ...Array.from(body)]);
  const out = new Uint8Array(13 + payload.length);
  out.set([0x42, 0x54, 0x4e, 0x45, 1]);
  const view = new DataView(out.buffer);
  view.setUint32(5, crc32(payload), true);
  view.setUint32(9, payload.length, true);
  out.set(payload, 13);
  return out;
}

/** An array32 header declaring `count` items, followed by `count` empty maps. */
function listOfEmptyMaps(count: number): Uint8Array {
  const body = new Uint8Array(5 + count).fill(0x80);
  body[0] = 0xdd;
  new DataView(body.buffer).setUint32(1, count);
  return body;
}

const cases = [
  ['lossyPnCounter', brokenCrdts.lossyPnCounter(), { replica: 'a', by: 2 }], // no decrement: it round-trips
  ['unmigratedGCounter', brokenCrdts.unmigratedGCounter(), { replica: 'a', by: 1 }],
] as const;

/** Values of wrong types a caller can pass. */
const wrong: unknown[] = [undefined, null, 0, 1.5, 5n, 'AAAA', true, Symbol('s'), {}, [], new Uint8Array(3), new Map()];

describe.each(cases)('%s answers bad input with a ReloadError', (name, provider, op) => {
  it('fromPersisted: bytes that are no state of it are CORRUPT_INPUT', () => {
    const bad: unknown[] = [
      new Uint8Array([0xc1, 0xff, 0x00, 0x42]),
      new Uint8Array(0),
      craftedEnvelope(provider.kind, provider.formatVersion, listOfEmptyMaps(100_000)),
      craftedEnvelope(provider.kind, provider.formatVersion, [0x82, 0xa2, 0x72, 0x31, 5, 0xa2, 0x72, 0x31, 7]),
      // [["a", "a"], [1, 1]] / [["a", "a"], [1, 1], [0, 0]]: a replica twice
      craftedEnvelope(provider.kind, provider.formatVersion, [
        ...(provider.kind === 'g-counter' ? [0x92] : [0x93]),
        ...[0x92, 0xa1, 0x61, 0xa1, 0x61, 0x92, 1, 1],
        ...(provider.kind === 'g-counter' ? [] : [0x92, 0, 0]),
      ]),
      'not bytes',
      null,
    ];
    for (const input of bad) expectReloadError(() => provider.fromPersisted(input as Uint8Array), 'CORRUPT_INPUT');
  });

  it('fromPersisted: random and corrupted valid bytes are read or refused with CORRUPT_INPUT', async () => {
    const state = provider.empty();
    state.apply(op);
    expect(provider.fromPersisted(state.persist()).value()).toBe(state.value());
    await assertRejectsGarbage((bytes) => provider.fromPersisted(bytes), {
      valid: fc.constant(state.persist()),
      codes: ['CORRUPT_INPUT'],
      numRuns: 300,
    });
  });

  it('schemaCompatCheck, apply, merge and equals: wrong-typed arguments', () => {
    for (const value of wrong) {
      for (const call of [
        () => provider.schemaCompatCheck?.(value as never),
        () => {
          provider.empty().apply(value as never);
        },
        () => {
          provider.empty().merge(value as never);
        },
        () => provider.empty().equals(value as never),
      ]) {
        try {
          call();
        } catch (error) {
          expect(isReloadError(error), `${name}: ${String(error)}`).toBe(true);
          expect(error).toMatchObject({ code: 'INVALID_ARGUMENT' });
        }
      }
    }
  });
});
