/**
 * A fleet of engine processes (one PluginHost each) through a whole two-step rollout, with CRDT
 * states travelling between them at every point: v1 → v2 while `mixed` (and back: a process rolled
 * back), the switch (refused while any process runs v1), the rolling reload to `switched`. Whatever
 * the order, every state one process sends, every other reads, and all converge.
 */
import { createPluginHost } from '@baton/core';
import type { ManagedCrdt, PluginHost } from '@baton/core';
import type { CrdtPrimitive, GCounterOp, OrSetOp } from '@baton/kinds';
import { peekEnvelope } from '@baton/kinds/codec';
import { fc } from '@fast-check/vitest';
import { beforeAll, describe, expect, it } from 'vitest';
import { connect, testDatabase } from '../__tests__/testDatabase.js';
import { COUNTERS, countersV1, countersV2, countersV2Eager } from './__tests__/counterPlugins.js';
import { reloadErrorOf } from './__tests__/errors.js';
import { checkFleetFormats } from './checkFleetFormats.js';
import { FLEET_FORMATS, FleetFormats } from './fleetFormats.js';
import { beginMixedPhase, switchFormatPhase } from './formatPhaseStore.js';
import { ensureFormatSchema } from './formatSchema.js';

const PROCESSES = 3;

interface Proc {
  readonly id: string;
  readonly host: PluginHost;
  readonly formats: FleetFormats;
  version: '1.0.0' | '2.0.0';
  /** Loaded after the switch (writes the newest formats). */
  switched: boolean;
  readonly hits: ManagedCrdt<GCounterOp, number>;
  readonly tags: ManagedCrdt<OrSetOp, CrdtPrimitive[]>;
}

type Action =
  | { readonly type: 'count'; readonly p: number; readonly by: number }
  | { readonly type: 'tag'; readonly p: number; readonly add: boolean; readonly element: string }
  | { readonly type: 'gossip'; readonly from: number; readonly to: number; readonly kind: 'hits' | 'tags' }
  | { readonly type: 'upgrade' | 'downgrade' | 'reformat'; readonly p: number }
  | { readonly type: 'switch' };

const proc = fc.integer({ min: 0, max: PROCESSES - 1 });
const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ type: fc.constant('count' as const), p: proc, by: fc.integer({ min: 1, max: 1000 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constant('tag' as const),
      p: proc,
      add: fc.boolean(),
      element: fc.constantFrom('x', 'y', 'z'),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('gossip' as const),
      from: proc,
      to: proc,
      kind: fc.constantFrom('hits' as const, 'tags' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      type: fc.constantFrom('upgrade' as const, 'downgrade' as const, 'reformat' as const),
      p: proc,
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'switch' as const }) },
);

describe('a fleet in the middle of a two-step rollout', () => {
  let url: string;
  let pinned: Readonly<Record<string, number>>;
  beforeAll(async () => {
    url = await testDatabase('fleet_mixed');
    await using client = await connect(url);
    await ensureFormatSchema(client);
    ({ pinned } = await checkFleetFormats({ oldPlugin: countersV1, newPlugin: countersV2 }));
  });

  it('states written by v1, v2 (mixed) and v2 (switched) are read by every process and converge', async () => {
    await using client = await connect(url);
    await fc.assert(
      fc.asyncProperty(fc.array(action, { maxLength: 24 }), async (actions) => {
        await client.query(`DELETE FROM baton_fleet.format_phases WHERE plugin = $1`, [COUNTERS]);
        await beginMixedPhase(client, {
          plugin: COUNTERS,
          version: '2.0.0',
          fromVersion: '1.0.0',
          pinned,
          rollbackSafe: false,
        });
        const procs = await Promise.all(Array.from({ length: PROCESSES }, (_, i) => start(`p${i}`)));
        let switched = false;
        let total = 0;
        const reload = async (p: Proc, version: Proc['version']): Promise<void> => {
          await p.formats.refresh(client); // what the agent does before every reload
          await p.host.reload(version === '1.0.0' ? countersV1 : countersV2, {
            allowDowngrade: true,
            allowSameVersion: true,
          });
          p.version = version;
          p.switched = switched;
        };
        const gossip = async (from: Proc, to: Proc, kind: 'hits' | 'tags'): Promise<void> => {
          await to[kind].merge(await from[kind].persist());
        };
        const run = async (step: Action): Promise<void> => {
          switch (step.type) {
            case 'count':
              total += step.by;
              return procs[step.p]!.hits.apply({ replica: procs[step.p]!.id, by: step.by });
            case 'tag': {
              const p = procs[step.p]!;
              return p.tags.apply(
                step.add ? { replica: p.id, add: step.element } : { replica: p.id, remove: step.element },
              );
            }
            case 'gossip':
              return gossip(procs[step.from]!, procs[step.to]!, step.kind);
            case 'upgrade':
              if (procs[step.p]!.version === '1.0.0') await reload(procs[step.p]!, '2.0.0');
              return;
            case 'downgrade': // a process rolled back while the fleet is mixed (refused after the switch)
              if (!switched && procs[step.p]!.version === '2.0.0') await reload(procs[step.p]!, '1.0.0');
              return;
            case 'reformat':
              if (switched && !procs[step.p]!.switched) await reload(procs[step.p]!, '2.0.0');
              return;
            case 'switch': {
              const members = procs.map((p) => ({ id: p.id, version: p.version }));
              const attempt = switchFormatPhase(client, { plugin: COUNTERS, version: '2.0.0', members });
              if (procs.some((p) => p.version === '1.0.0')) {
                expect((await reloadErrorOf(() => attempt)).code).toBe('SCHEMA_INCOMPATIBLE');
                return;
              }
              await attempt;
              switched = true;
              return;
            }
          }
        };
        try {
          for (const step of actions) await run(step);
          // The rollout finishes: every process on v2 (each trading states with the others as it
          // moves), the switch, the rolling reload to the new formats (a switched process trades
          // states with those still mixed).
          const trade = async (p: Proc): Promise<void> => {
            for (const other of procs)
              for (const kind of ['hits', 'tags'] as const) {
                await gossip(p, other, kind);
                await gossip(other, p, kind);
              }
          };
          for (const [i, p] of procs.entries()) {
            await run({ type: 'upgrade', p: i });
            await trade(p);
          }
          await run({ type: 'switch' });
          for (const [i, p] of procs.entries()) {
            await run({ type: 'reformat', p: i });
            await trade(p);
          }
          for (let round = 0; round < 2; round++)
            for (const from of procs)
              for (const to of procs) {
                await gossip(from, to, 'hits');
                await gossip(from, to, 'tags');
              }
          for (const p of procs) {
            expect(await p.hits.value()).toBe(total);
            expect(await p.tags.value()).toEqual(await procs[0]!.tags.value());
            expect(peekEnvelope(await p.hits.persist())?.formatVersion).toBe(2);
          }
        } finally {
          await Promise.all(procs.map((p) => p.host.close()));
        }
      }),
      { numRuns: 20 },
    );
  });

  it('a v2 that writes format 2 while mixed breaks the v1 processes (which is what the pre-check refuses)', async () => {
    const formats = new FleetFormats([
      {
        plugin: COUNTERS,
        version: '2.0.0',
        fromVersion: '1.0.0',
        phase: 'mixed',
        pinned,
        rollbackSafe: false,
        createdAt: new Date(),
        switchedAt: null,
      },
    ]);
    await using eager = createPluginHost({ services: { [FLEET_FORMATS]: formats }, logger: false });
    await using old = createPluginHost({ services: { [FLEET_FORMATS]: formats }, logger: false });
    await eager.load(countersV2Eager);
    await old.load(countersV1);
    const sent = await eager.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
    const received = await old.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
    await sent.apply({ replica: 'eager', by: 1 });
    expect((await reloadErrorOf(async () => received.merge(await sent.persist()))).code).toBe('CORRUPT_INPUT');
    expect((await checkFleetFormats({ oldPlugin: countersV1, newPlugin: countersV2Eager })).ok).toBe(false);
  });

  async function start(id: string): Promise<Proc> {
    await using client = await connect(url);
    const formats = await FleetFormats.load(client);
    const host = createPluginHost({ services: { [FLEET_FORMATS]: formats }, logger: false });
    await host.load(countersV1);
    const hits = await host.openCrdt<GCounterOp, number>({ name: 'hits', key: 'g-counter' });
    const tags = await host.openCrdt<OrSetOp, CrdtPrimitive[]>({ name: 'tags', key: 'or-set' });
    return { id, host, formats, version: '1.0.0', switched: false, hits, tags };
  }
});
