import { isDeepStrictEqual } from 'node:util';
import { checkCrdtCompat } from '@baton/core/kit';
import type { CompatContext, CompatVerdict, CrdtKindProvider } from '@baton/core';
import { gCounter, lwwRegister, orSet, pnCounter } from '@baton/kinds';
import { generatedSamples, opGenerators } from './crdtSamples.js';
import type { BenchRow, GoalSection } from './results.js';
import { interleaved, median } from './stats.js';

/** Options of {@link benchCompatCheck}. */
export interface CompatCheckOptions {
  /** Generated op sequences per kind (the provider's own samples and the empty state come on top). */
  readonly sequences: number;
  readonly rounds: number;
}

interface Pair {
  readonly name: string;
  readonly old: CrdtKindProvider;
  readonly next: CrdtKindProvider;
  readonly samples: readonly (readonly unknown[])[];
}

/**
 * The same work per state as the check, written out by hand for one pair: apply the ops to an
 * empty old state, persist, migrate if needed, read with the new provider, compare the values.
 */
async function handLoop(pair: Pair, verdict: CompatVerdict): Promise<number> {
  let states = 0;
  for (const ops of [...(pair.old.samples?.() ?? []), ...pair.samples]) {
    const state = await pair.old.empty();
    for (const op of ops) await state.apply(op);
    let bytes = await state.persist();
    if (verdict.type === 'compatibleAfterMigration') bytes = await verdict.migrate(bytes);
    const restored = await pair.next.fromPersisted(bytes);
    if (!isDeepStrictEqual(await state.value(), await restored.value())) throw new Error(`${pair.name}: value changed`);
    states++;
  }
  return states + 1; // and the empty state
}

/**
 * Goal 6: how many reachable states per second `checkCrdtCompat` verifies for each reference CRDT
 * kind (old → a new provider instance; G-Counter v1 → v2 through its declared migration), with
 * generated samples, against a hand-written loop doing the same round trip per state.
 */
export async function benchCompatCheck(options: CompatCheckOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const pairs: Pair[] = [
    {
      name: 'g-counter → g-counter',
      old: gCounter(),
      next: gCounter(),
      samples: generatedSamples(opGenerators.gCounter, options.sequences, 24, 1),
    },
    {
      name: 'g-counter v1 → v2 (migration)',
      old: gCounter(),
      next: gCounter({ format: 2 }),
      samples: generatedSamples(opGenerators.gCounter, options.sequences, 24, 2),
    },
    {
      name: 'pn-counter',
      old: pnCounter(),
      next: pnCounter(),
      samples: generatedSamples(opGenerators.pnCounter, options.sequences, 24, 3),
    },
    {
      name: 'lww-register',
      old: lwwRegister(),
      next: lwwRegister(),
      samples: generatedSamples(opGenerators.lwwRegister, options.sequences, 24, 4),
    },
    {
      name: 'or-set',
      old: orSet(),
      next: orSet(),
      samples: generatedSamples(opGenerators.orSet, options.sequences, 24, 5),
    },
  ];
  const rows: BenchRow[] = [];
  const signal = new AbortController().signal;
  for (const pair of pairs) {
    const providerSamples = [...(pair.old.samples?.() ?? [])].filter((ops) => ops.length > 0).length;
    const states = 1 + providerSamples + pair.samples.length;
    const context: CompatContext = {
      kind: 'crdtKind',
      key: pair.old.kind,
      signal,
      timeoutMs: 30_000,
      samples: pair.samples,
      liveResources: [],
      maxStates: states,
    };
    // One check first: it must accept the pair, and the hand loop needs its verdict (the migration).
    const verdict = await checkCrdtCompat(pair.old, pair.next, context);
    if (verdict.type === 'incompatible')
      throw new Error(`${pair.name}: the check refused a compatible pair: ${verdict.reason}`);
    let handStates = 0;
    let checked = 0;
    const times = await interleaved(
      {
        check: {
          run: async () =>
            void (checked += (await checkCrdtCompat(pair.old, pair.next, context)).type === 'incompatible' ? 0 : 1),
        },
        hand: { run: async () => void (handStates = await handLoop(pair, verdict)) },
      },
      options.rounds,
    );
    if (checked !== options.rounds) throw new Error(`${pair.name}: a check refused the pair`);
    if (handStates !== states) throw new Error(`${pair.name}: ${handStates} states by hand, ${states} expected`);
    const check = (states * 1000) / median(times.check);
    const hand = (states * 1000) / median(times.hand);
    rows.push({
      name: `${pair.name}, ${states} states`,
      baton: check,
      baseline: hand,
      unit: 'states/s',
      baselineLabel: 'the same round trips by hand',
      ratio: check / hand,
    });
  }
  return {
    id: 6,
    title: 'CRDT compat check throughput',
    goal: 'compat check: reachable states checked per second for each reference CRDT kind.',
    ratioOf: 'Baton / baseline (states per second)',
    appliesTo:
      'every row; the goal sets no threshold, so no row is judged. The baseline is a hand-written loop doing the same ' +
      'work per state (apply the ops, persist, migrate when declared, fromPersisted, compare values): the ratio is ' +
      'what the generic check costs on top of the round trips themselves.',
    rows,
    findings: [
      `Each kind is checked against a new provider instance (old !== next, so the check really runs) with ` +
        `${options.sequences} generated op sequences of 1–24 ops over 3 replicas (seeded, every value type for the ` +
        `registers and sets) plus the provider's own samples and the empty state. Medians of ${options.rounds} interleaved rounds.`,
    ],
    measuredAt: new Date().toISOString(),
  };
}
