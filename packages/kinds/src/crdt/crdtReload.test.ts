/** End to end: the CRDT kinds inside a PluginHost, across reloads. */
import { createPluginHost, definePlugin } from '@baton/core';
import type { CrdtKindProvider } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { peekEnvelope } from '../codec/envelope.js';
import { gCounter } from './gCounter.js';
import type { GCounterOp } from './gCounterState.js';
import { lwwRegister } from './lwwRegister.js';
import { orSet } from './orSet.js';
import type { OrSetOp } from './orSetState.js';
import type { CrdtPrimitive } from './primitive.js';

const engine = (version: string, ...kinds: CrdtKindProvider[]) =>
  definePlugin({
    name: 'engine',
    version,
    register(r) {
      for (const kind of kinds) r.crdtKind(kind);
    },
  });

describe('CRDT kinds in a plugin host', () => {
  it('migrates a live g-counter v1 → v2 on reload and keeps every state', async () => {
    await using host = createPluginHost();
    await host.load(engine('1.0.0', gCounter(), orSet(), lwwRegister()));
    const hits = await host.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
    const tags = await host.openCrdt<OrSetOp, CrdtPrimitive[]>({ name: 'tags', key: 'or-set' });
    const remote = await host.openCrdt<GCounterOp, number>({ name: 'remote', key: 'g-counter' });
    await hits.apply({ replica: 'a', by: 40 });
    await remote.apply({ replica: 'b', by: 2 });
    await hits.merge(remote);
    await tags.apply({ replica: 'a', add: 'red' });
    await tags.apply({ replica: 'a', add: 7n });

    await host.reload(engine('2.0.0', gCounter({ format: 2 }), orSet(), lwwRegister()));
    expect(await hits.value()).toBe(42);
    expect(peekEnvelope(await hits.persist())).toEqual({ kind: 'g-counter', formatVersion: 2 });
    await hits.apply({ replica: 'a', by: 1 });
    expect(await hits.value()).toBe(43);
    // A replica still on v1 sends its bytes: v2 reads them.
    const straggler = gCounter().empty();
    straggler.apply({ replica: 'c', by: 5 });
    await hits.merge(straggler.persist());
    expect(await hits.value()).toBe(48);
    expect(await tags.value()).toEqual([7n, 'red']);
  });

  it('moves live states by delta before the pause: writes after the snapshot arrive, only the delta runs inside', async () => {
    await using host = createPluginHost();
    await host.load(engine('1.0.0', gCounter(), orSet(), lwwRegister()));
    const hits = await host.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
    const tags = await host.openCrdt<OrSetOp, CrdtPrimitive[]>({ name: 'tags', key: 'or-set' });
    for (let i = 0; i < 50; i++) await tags.apply({ replica: 'a', add: `t${i}` });
    await hits.apply({ replica: 'a', by: 40 });
    // Writes that land after the snapshot, before the gate closes: they travel in the delta.
    const late: Promise<void>[] = [];
    host.on('prepared', () => {
      late.push(
        hits.apply({ replica: 'b', by: 2 }),
        tags.apply({ remove: 't3' }),
        tags.apply({ replica: 'b', add: 'late' }),
      );
    });
    const result = await host.reload(engine('2.0.0', gCounter(), orSet(), lwwRegister()));
    await Promise.all(late);
    expect(await hits.value()).toBe(42);
    const value = await tags.value();
    expect(value).toContain('late');
    expect(value).not.toContain('t3');
    expect(value).toHaveLength(50);
    const details = Object.fromEntries(result.handoffs.map((h) => [h.name, h.detail]));
    expect(details['hits']).toMatchObject({ byDelta: true });
    expect(details['tags']).toMatchObject({ byDelta: true });
    expect(Number(details['tags']!['deltaBytes'])).toBeLessThan(Number(details['tags']!['bytes']));
  });

  it('the pre-copy round right before the pause carries the writes that landed after prepare; the pause has no delta to merge', async () => {
    await using host = createPluginHost();
    await host.load(engine('1.0.0', orSet()));
    const tags = await host.openCrdt<OrSetOp, CrdtPrimitive[]>({ name: 'tags', key: 'or-set' });
    for (let i = 0; i < 1000; i++) await tags.apply({ replica: 'a', add: `t${i}` });
    const late: Promise<void>[] = [];
    host.on('prepared', () => {
      for (let i = 0; i < 100; i++) late.push(tags.apply({ replica: 'b', add: `late${i}` }));
      late.push(tags.apply({ remove: 't3' }));
    });
    const result = await host.reload(engine('2.0.0', orSet()));
    await Promise.all(late);
    const value = await tags.value();
    expect(value).toHaveLength(1000 - 1 + 100);
    expect(value).toContain('late99');
    expect(value).not.toContain('t3');
    const detail = result.handoffs.find((h) => h.name === 'tags')!.detail;
    // The round's mark saw no change before the gate closed: the pause took no delta at all.
    expect(detail).toMatchObject({ deltaBytes: 0, changed: false });
    expect(Number(detail['precopyBytes'])).toBeGreaterThan(100 * 'late0'.length);
  });
});
