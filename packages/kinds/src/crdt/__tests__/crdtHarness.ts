/**
 * Shared property suite for the CRDT kinds: the lattice laws on reachable states, convergence,
 * persistence round trips, hostile bytes and bodies, bad ops, samples and a self-reload compat check.
 */
import { ReloadError } from '@baton/core';
import { checkCrdtCompat } from '@baton/core/kit';
import type { CompatContext, CrdtState } from '@baton/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../codec/envelope.js';
import type { CrdtProvider } from '../crdtProvider.js';

/** The replicas scenarios run on. */
export const REPLICAS = ['a', 'b', 'c'] as const;

/** What the suite needs of a state besides the CrdtState contract (all kinds here are synchronous). */
export interface TestedState<Op, Value> extends CrdtState<Op, Value> {
  apply(op: Op): void;
  merge(other: CrdtState<Op, Value>): void;
  value(): Value;
  persist(): Uint8Array;
  equals(other: CrdtState<Op, Value>): boolean;
  clone(): TestedState<Op, Value>;
}

/** One scenario step: replica `at` applies its own op, or replica `to` merges replica `from`'s state. */
export type Step<Op> = { readonly at: number; readonly op: Op } | { readonly from: number; readonly to: number };

/** Random scenarios over {@link REPLICAS}; `opOf(replica)` makes the ops replica `replica` may apply. */
export function scenarioArb<Op>(opOf: (replica: string) => fc.Arbitrary<Op>, maxLength = 24): fc.Arbitrary<Step<Op>[]> {
  const at = fc.integer({ min: 0, max: REPLICAS.length - 1 });
  const opStep = at.chain((i) => opOf(REPLICAS[i]!).map((op): Step<Op> => ({ at: i, op })));
  const syncStep = fc.record({ from: at, to: at }).map((s): Step<Op> => s);
  return fc.array(fc.oneof({ arbitrary: opStep, weight: 3 }, { arbitrary: syncStep, weight: 1 }), { maxLength });
}

/** The replicas' final states and a snapshot after every step (the states a network could deliver). */
export interface Run<S> {
  readonly replicas: S[];
  readonly snapshots: S[];
}

/** Runs a scenario: each replica applies only its own ops; syncs are state merges. */
export function runScenario<Op, Value, S extends TestedState<Op, Value>>(
  provider: CrdtProvider<S, Op, Value>,
  steps: readonly Step<Op>[],
): Run<S> {
  const replicas = REPLICAS.map(() => provider.empty());
  const snapshots: S[] = [];
  for (const step of steps) {
    const target = 'op' in step ? replicas[step.at]! : replicas[step.to]!;
    if ('op' in step) target.apply(step.op);
    else target.merge(replicas[step.from]!);
    snapshots.push(target.clone() as S);
  }
  return { replicas, snapshots };
}

/** Asserts two states are equal: structurally and by value. */
export function expectSameState<Op, Value>(a: TestedState<Op, Value>, b: TestedState<Op, Value>): void {
  expect(a.value()).toStrictEqual(b.value());
  expect(a.equals(b)).toBe(true);
  expect(b.equals(a)).toBe(true);
}

/** `a ⊔ b` as a new state. */
export function joined<Op, Value>(
  a: TestedState<Op, Value>,
  ...others: TestedState<Op, Value>[]
): TestedState<Op, Value> {
  const out = a.clone();
  for (const other of others) out.merge(other);
  return out;
}

/** Asserts `fn` throws a ReloadError with `code` (and returns it). */
export function expectReloadError(fn: () => unknown, code: 'CORRUPT_INPUT' | 'INVALID_ARGUMENT'): ReloadError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReloadError);
    expect(error).toMatchObject({ code, phase: code === 'CORRUPT_INPUT' ? 'decode' : 'call' });
    return error as ReloadError;
  }
  expect.fail(`expected a ${code} ReloadError`);
}

/** A compat-check context as a host builds one. */
export function compatContext(
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

/** Bytes are either refused with CORRUPT_INPUT or read into a sound state (which round-trips). */
function expectCorruptOrSound<Op, Value, S extends TestedState<Op, Value>>(
  provider: CrdtProvider<S, Op, Value>,
  bytes: Uint8Array,
): void {
  let state: S;
  try {
    state = provider.fromPersisted(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(ReloadError);
    expect(error).toMatchObject({ code: 'CORRUPT_INPUT', phase: 'decode' });
    return;
  }
  const again = provider.fromPersisted(state.persist());
  expectSameState(state, again);
}

/** Every leaf path of a decoded body (array items, map values, bytes of byte strings). */
function leafPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return [path, ...value.flatMap((item, i) => leafPaths(item, [...path, i]))];
  if (value instanceof Map)
    return [
      path,
      ...[...(value as Map<unknown, unknown>).entries()].flatMap(([k, v]) =>
        typeof k === 'string' ? leafPaths(v, [...path, k]) : [],
      ),
    ];
  if (value instanceof Uint8Array) return [path, ...Array.from(value, (_, i) => [...path, `#${i}`])];
  return [path];
}

/** `body` with the leaf at `choice` (modulo the number of leaves) replaced by `replacement` (or its byte xored). */
function mutateBody(body: unknown, choice: number, replacement: unknown, xor: number): unknown {
  const paths = leafPaths(body).filter((p) => p.length > 0);
  if (paths.length === 0) return replacement;
  const path = paths[choice % paths.length]!;
  let parent: unknown = body;
  for (const key of path.slice(0, -1))
    parent = parent instanceof Map ? (parent as Map<unknown, unknown>).get(key) : (parent as unknown[])[key as number];
  const last = path.at(-1)!;
  if (typeof last === 'string' && last.startsWith('#')) (parent as Uint8Array)[Number(last.slice(1))]! ^= xor;
  else if (parent instanceof Map) (parent as Map<unknown, unknown>).set(last, replacement);
  else (parent as unknown[])[last as number] = replacement;
  return body;
}

/** Registers the shared property suite for one kind. */
export function crdtLawSuite<Op, Value, S extends TestedState<Op, Value>>(
  provider: CrdtProvider<S, Op, Value>,
  opOf: (replica: string) => fc.Arbitrary<Op>,
  badOps: readonly unknown[],
): void {
  const scenario = scenarioArb(opOf);
  const { kind } = provider;
  const reached = (steps: Step<Op>[]): S[] => {
    const { replicas, snapshots } = runScenario(provider, steps);
    return [...replicas, ...snapshots.slice(-3)];
  };

  describe(`${kind}: CRDT laws on reachable states`, () => {
    test.prop([scenario, scenario, scenario])('merge is commutative, associative and idempotent', (s1, s2, s3) => {
      const [a] = runScenario(provider, s1).replicas;
      const [, b] = runScenario(provider, s2).replicas;
      const [, , c] = runScenario(provider, s3).replicas;
      for (const [x, y] of [
        [a!, b!],
        [b!, c!],
        [a!, c!],
      ] as const)
        expectSameState(joined(x, y), joined(y, x));
      expectSameState(joined(joined(a!, b!), c!), joined(a!, joined(b!, c!)));
      for (const x of [a!, b!, c!]) {
        expectSameState(joined(x, x), x);
        const self = x.clone();
        self.merge(self);
        expectSameState(self, x);
      }
      expectSameState(joined(a!, b!, b!), joined(a!, b!));
    });

    test.prop([
      scenario,
      fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), { minLength: 2, maxLength: 4 }),
    ])('replicas converge whatever the order and repetition of deliveries', (steps, orders) => {
      const { replicas, snapshots } = runScenario(provider, steps);
      const deliveries = [...snapshots, ...replicas];
      const reference = joined(provider.empty(), ...deliveries);
      for (const order of orders) {
        // Every delivery arrives at least once; the order's picks add repeats and reorderings.
        const picks = [...order.map((i) => i % deliveries.length), ...deliveries.map((_, i) => i).reverse()];
        const observer = provider.empty();
        for (const i of picks) observer.merge(deliveries[i]!);
        expectSameState(observer, reference);
      }
      const synced = replicas.map((r) => joined(r, ...replicas));
      for (const state of synced) expectSameState(state, reference);
    });
  });

  describe(`${kind}: persistence`, () => {
    test.prop([scenario, scenario])(
      'persist → fromPersisted round-trips reachable states; merges behave the same after',
      (s1, s2) => {
        const others = runScenario(provider, s2).replicas;
        for (const state of reached(s1)) {
          const bytes = state.persist();
          const restored = provider.fromPersisted(bytes);
          expectSameState(restored, state);
          expect(restored.persist()).toStrictEqual(bytes);
          for (const other of others) expectSameState(joined(restored, other), joined(state, other));
        }
      },
    );

    test.prop([
      scenario,
      scenario,
      fc.array(fc.nat(), { maxLength: 4 }),
      fc.array(opOf(REPLICAS[0]), { maxLength: 4 }),
    ])(
      'merging a state read from bytes equals merging the state; into an empty state too; both evolve apart after',
      (s1, s2, later, ops) => {
        const ours = reached(s1);
        const theirs = reached(s2);
        for (const [i, other] of theirs.entries()) {
          const state = ours[i % ours.length]!;
          const read = (): S => provider.fromPersisted(other.persist());
          expectSameState(joined(state, read()), joined(state, other));
          const fresh = provider.empty();
          const source = read();
          fresh.merge(source);
          expectSameState(fresh, other);
          // The merged state and the state it was read from change independently afterwards.
          const expected = other.clone();
          for (const pick of later)
            [fresh, expected].forEach((s) => {
              s.merge(ours[pick % ours.length]!);
            });
          for (const op of ops)
            [fresh, expected].forEach((s) => {
              s.apply(op);
            });
          expectSameState(source, other);
          expectSameState(fresh, expected);
        }
      },
    );

    test.prop([fc.uint8Array({ maxLength: 300 })])('random bytes are CORRUPT_INPUT, never a crash', (bytes) => {
      expectReloadError(() => provider.fromPersisted(bytes), 'CORRUPT_INPUT');
    });

    test.prop([scenario, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat()])(
      'truncated or flipped bytes are CORRUPT_INPUT',
      (steps, at, xor, cut) => {
        const bytes = reached(steps).at(-1)!.persist();
        const flipped = bytes.slice();
        flipped[at % flipped.length]! ^= xor;
        expectReloadError(() => provider.fromPersisted(flipped), 'CORRUPT_INPUT');
        expectReloadError(() => provider.fromPersisted(bytes.subarray(0, cut % bytes.length)), 'CORRUPT_INPUT');
      },
    );

    test.prop([
      scenario,
      fc.nat(),
      fc.anything({ withMap: true, withBigInt: true, withTypedArray: true, maxDepth: 2 }),
      fc.integer({ min: 1, max: 255 }),
    ])(
      'a well-formed envelope with a mutated body is CORRUPT_INPUT or a sound state',
      (steps, choice, replacement, xor) => {
        const bytes = reached(steps).at(-1)!.persist();
        const { formatVersion, body } = decodeEnvelope(bytes, { kind, versions: [provider.formatVersion] });
        expectCorruptOrSound(provider, encodeEnvelope(kind, formatVersion, mutateBody(body, choice, replacement, xor)));
      },
    );

    test.prop([fc.anything({ withMap: true, withBigInt: true, withTypedArray: true, withNullPrototype: true })])(
      'a well-formed envelope with any body is CORRUPT_INPUT or a sound state',
      (body) => {
        expectCorruptOrSound(provider, encodeEnvelope(kind, provider.formatVersion, body));
      },
    );

    it('rejects a body that tries to pollute prototypes, and stays harmless', () => {
      const evil: unknown = JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      );
      expectReloadError(
        () => provider.fromPersisted(encodeEnvelope(kind, provider.formatVersion, evil)),
        'CORRUPT_INPUT',
      );
      expectReloadError(
        () => provider.fromPersisted(encodeEnvelope(kind, provider.formatVersion, [evil, evil, evil, evil])),
        'CORRUPT_INPUT',
      );
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
      expect((Object.prototype as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it("refuses another kind's bytes and an unknown version", () => {
      expectReloadError(
        () => provider.fromPersisted(encodeEnvelope('another-kind', provider.formatVersion, [])),
        'CORRUPT_INPUT',
      );
      expectReloadError(() => provider.fromPersisted(encodeEnvelope(kind, 99, [])), 'CORRUPT_INPUT');
    });
  });

  describe(`${kind}: ops, samples and compat`, () => {
    test.prop([scenario, fc.constantFrom(...badOps, null, undefined, 42, 'op', [], {})])(
      'a bad op is INVALID_ARGUMENT and changes nothing',
      (steps, bad) => {
        const state = reached(steps).at(-1)!;
        const before = state.clone();
        expectReloadError(() => {
          state.apply(bad as Op);
        }, 'INVALID_ARGUMENT');
        expectSameState(state, before);
      },
    );

    it('refuses to merge a state of another kind', () => {
      const stranger = { apply() {}, merge() {}, value: () => 0, persist: () => new Uint8Array() } satisfies CrdtState;
      expectReloadError(() => {
        provider.empty().merge(stranger as unknown as CrdtState<Op, Value>);
      }, 'INVALID_ARGUMENT');
    });

    it('has samples that reach several non-empty states', () => {
      const samples = [...provider.samples()];
      expect(samples.length).toBeGreaterThanOrEqual(3);
      const empty = provider.empty().value();
      for (const ops of samples) {
        expect(ops.length).toBeGreaterThan(0);
        const state = provider.empty();
        for (const op of ops) state.apply(op);
        expect(state.value()).not.toStrictEqual(empty);
      }
    });

    it('passes the compat check of a reload to itself, on samples and live states', async () => {
      const live = provider.empty();
      for (const op of [...provider.samples()].flat()) live.apply(op);
      const verdict = await checkCrdtCompat(
        provider,
        provider,
        compatContext(kind, { liveResources: [{ name: 'live', resource: live }] }),
      );
      expect(verdict).toEqual({ type: 'compatible' });
    });
  });
}
