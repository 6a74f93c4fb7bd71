import { createPluginHost, definePlugin } from '@baton/core';
import { checkCrdtCompat } from '@baton/core/kit';
import type { CrdtKindProvider } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { encodeEnvelope, peekEnvelope } from '../codec/envelope.js';
import {
  compatContext,
  expectReloadError,
  expectSameState,
  runScenario,
  scenarioArb,
} from './__tests__/crdtHarness.js';
import { elementArb } from './__tests__/elements.js';
import { orSetFormat1, toFormat1 } from './__tests__/orSetFormat1.js';
import { orSet } from './orSet.js';
import type { OrSetOp } from './orSetState.js';
import type { CrdtPrimitive } from './primitive.js';

const opOf = (replica: string): fc.Arbitrary<OrSetOp> =>
  fc.oneof(
    { arbitrary: elementArb.map((add) => ({ replica, add })), weight: 2 },
    { arbitrary: elementArb.map((remove) => ({ replica, remove })), weight: 1 },
  );

/**
 * Bytes persisted by the previous release (format 1): a, b and c add true, 1, 1n, '1', -2.5,
 * 2n ** 80n, 'é𝄞' (by a and b), Uint8Array [1, 2] and '' (by b), and c adds then removes 'gone'.
 */
const FORMAT_1_FIXTURE =
  'QlRORQGIfmVuaQAAAJOmb3Itc2V0AZSToWGhYqFjkwQEA5nDy8AEAAAAAAAAAdMAAAAAAAAAAdhCAAAAAAABAAAAAAAAAAAAAKChMabDqfCdhJ7EAgECxB0BAAEBAgIBAQEBAQIBAAIBAQQBAgECAAMBAwEABA==';

describe('or-set formats', () => {
  it('reads bytes of the previous release (format 1) and persists them in format 2', () => {
    const bytes = new Uint8Array(Buffer.from(FORMAT_1_FIXTURE, 'base64'));
    expect(peekEnvelope(bytes)).toEqual({ kind: 'or-set', formatVersion: 1 });
    const state = orSet().fromPersisted(bytes);
    expect(state.value()).toStrictEqual([true, -2.5, 1, 1n, 2n ** 80n, '', '1', 'é𝄞', new Uint8Array([1, 2])]);
    const again = orSet().fromPersisted(state.persist());
    expect(peekEnvelope(state.persist())).toEqual({ kind: 'or-set', formatVersion: 2 });
    expectSameState(again, state);
    expect(toFormat1(state.persist())).toStrictEqual(bytes);
    // Removing what both a and b added takes both dots, as before the upgrade.
    state.apply({ remove: 'é𝄞' });
    state.apply({ replica: 'c', add: 'new' });
    expect(state.value()).toStrictEqual([true, -2.5, 1, 1n, 2n ** 80n, '', '1', 'new', new Uint8Array([1, 2])]);
  });

  test.prop([scenarioArb(opOf), scenarioArb(opOf)])(
    'format-1 bytes of reachable states read as the same state, and merge the same',
    (steps, others) => {
      const [other] = runScenario(orSet(), others).replicas;
      for (const state of runScenario(orSet(), steps).replicas) {
        const read = orSet().fromPersisted(toFormat1(state.persist()));
        expectSameState(read, state);
        expect(read.persist()).toStrictEqual(state.persist());
        expectSameState(read.clone(), state);
        read.merge(other!);
        state.merge(other!);
        expectSameState(read, state);
      }
    },
  );

  it('takes over format-1 state on reload: compatible, samples and live states', async () => {
    const live = await orSetFormat1.empty();
    for (const op of [...orSet().samples()].flat()) await live.apply(op);
    const verdict = await checkCrdtCompat(
      orSetFormat1,
      orSet(),
      compatContext('or-set', { liveResources: [{ name: 'tags', resource: live }] }),
    );
    expect(verdict).toEqual({ type: 'compatible' });
    const unknown = await checkCrdtCompat({ ...orSetFormat1, formatVersion: 3 }, orSet(), compatContext('or-set'));
    expect(unknown).toMatchObject({ type: 'incompatible' });
  });

  it('moves a live format-1 state to format 2 in a plugin host', async () => {
    const engine = (version: string, kind: CrdtKindProvider) =>
      definePlugin({ name: 'engine', version, register: (r) => void r.crdtKind(kind) });
    await using host = createPluginHost();
    await host.load(engine('1.0.0', orSetFormat1));
    const tags = await host.openCrdt<OrSetOp, CrdtPrimitive[]>({ name: 'tags', key: 'or-set' });
    await tags.apply({ replica: 'a', add: 'red' });
    await tags.apply({ replica: 'a', add: 7n });
    expect(peekEnvelope(await tags.persist())).toEqual({ kind: 'or-set', formatVersion: 1 });
    await host.reload(engine('2.0.0', orSet()));
    expect(await tags.value()).toEqual([7n, 'red']);
    expect(peekEnvelope(await tags.persist())).toEqual({ kind: 'or-set', formatVersion: 2 });
    await tags.apply({ replica: 'b', add: 'blue' });
    expect(await tags.value()).toEqual([7n, 'blue', 'red']);
  });

  it('checks format-2 bodies strictly', () => {
    const read =
      (...body: unknown[]) =>
      () =>
        orSet().fromPersisted(encodeEnvelope('or-set', 2, body));
    const bytes = (...n: number[]) => new Uint8Array(n);
    const text = (s: string) => new TextEncoder().encode(s);
    const dots3 = bytes(1, 0, 1, 1, 0, 2, 1, 0, 3);
    expect(
      orSet()
        .fromPersisted(encodeEnvelope('or-set', 2, [['a'], [3], [1], text('xy'), bytes(1, 1), [], dots3]))
        .value(),
    ).toEqual([1, 'x', 'y']);
    const corrupt: [string, () => unknown][] = [
      ['unsorted strings', read(['a'], [3], [1], text('yx'), bytes(1, 1), [], dots3)],
      ['duplicate strings', read(['a'], [3], [1], text('xx'), bytes(1, 1), [], dots3)],
      ['a string split inside a character', read(['a'], [3], [1], text('é'), bytes(1, 1), [], dots3)],
      ['invalid UTF-8', read(['a'], [3], [1], bytes(0x78, 0xff), bytes(1, 1), [], dots3)],
      ['lengths not adding up', read(['a'], [3], [1], text('xyz'), bytes(1, 1), [], dots3)],
      ['a string among the scalars', read(['a'], [3], ['w'], text('xy'), bytes(1, 1), [], dots3)],
      ['bytes among the scalars', read(['a'], [3], [bytes(1)], text('xy'), bytes(1, 1), [], dots3)],
      ['unsorted scalars', read(['a'], [3], [2, 1], text('x'), bytes(1), [], dots3)],
      ['a string among the byte strings', read(['a'], [3], [1, 2], text('x'), bytes(1), ['y'], dots3)],
      ['unsorted byte strings', read(['a'], [3], [1], text(''), bytes(), [bytes(2), bytes(1)], dots3)],
      ['more elements than dots', read(['a'], [3], [1, 2], text('xy'), bytes(1, 1), [], dots3)],
      ['fewer elements than dots', read(['a'], [3], [], text('xy'), bytes(1, 1), [], dots3)],
      ['lengths the dots cannot cover', read(['a'], [3], [], text(''), bytes(0, 0, 0, 0), [], dots3)],
      ['strings not bytes', read(['a'], [3], [1], 'xy', bytes(1, 1), [], dots3)],
      ['a body of another shape', read(['a'], [3], [1], text('xy'), bytes(1, 1), [], dots3, [])],
      ['a format-1 body', read(['a'], [3], [1, 'x', 'y'], dots3)],
    ];
    for (const [what, fn] of corrupt) {
      const error = expectReloadError(fn, 'CORRUPT_INPUT');
      expect(error.message, what).toMatch(/^cannot read 'or-set' state: /);
    }
  });
});
