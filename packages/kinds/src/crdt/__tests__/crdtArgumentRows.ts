/** The CRDT exports of @baton/kinds and their methods, as rows of the wrong-argument table. */
import { decodeEnvelope } from '../../codec/envelope.js';
import type { ArgumentRow } from '../../codec/__tests__/wrongArguments.js';
import { BYTES } from '../../codec/__tests__/wrongArguments.js';
import {
  gCounter,
  lwwRegister,
  orSet,
  pnCounter,
  GCounterState,
  LwwRegisterState,
  OrSetState,
  PnCounterState,
} from '../../index.js';
import { migrateGCounterV1ToV2 } from '../gCounter.js';
import { compareWrites } from '../lwwRegisterState.js';
import { comparePrimitives } from '../primitive.js';
import { BodyReader } from '../bodyReader.js';
import type { CrdtProvider } from '../crdtProvider.js';
import { gCounterFormatV1 } from '../gCounterFormats.js';
import { decodeOrSetBody } from '../orSetFormats.js';
import { ReplicaCounts } from '../replicaCounts.js';

type AnyProvider = CrdtProvider<never, unknown, unknown>;

/** The state class of each provider's kind. */
const stateClasses: Record<string, string> = {
  'g-counter': 'GCounterState',
  'pn-counter': 'PnCounterState',
  'lww-register': 'LwwRegisterState',
  'or-set': 'OrSetState',
};

const providers: Record<string, AnyProvider> = {
  'gCounter()': gCounter() as unknown as AnyProvider,
  'gCounter({ format: 2 })': gCounter({ format: 2 }) as unknown as AnyProvider,
  'pnCounter()': pnCounter() as unknown as AnyProvider,
  'lwwRegister()': lwwRegister() as unknown as AnyProvider,
  'orSet()': orSet() as unknown as AnyProvider,
};

/** A valid op of each kind. */
const ops: Record<string, unknown> = {
  'g-counter': { replica: 'a', by: 1 },
  'pn-counter': { replica: 'a', by: -1 },
  'lww-register': { replica: 'a', value: 'v', timestamp: 1 },
  'or-set': { replica: 'a', add: 'x' },
};

/** A state of `provider` with one op applied. */
function stateOf(provider: AnyProvider): {
  apply(op: unknown): void;
  merge(other: unknown): void;
  equals(other: unknown): boolean;
} {
  const state = provider.empty() as unknown as { apply(op: unknown): void };
  state.apply(ops[provider.kind]);
  return state as never;
}

const providerRows = Object.entries(providers).flatMap(([name, provider]): ArgumentRow[] => [
  {
    name: `${name}.fromPersisted`,
    args: [(stateOf(provider) as unknown as { persist(): Uint8Array }).persist()],
    codes: [BYTES],
    call: (bytes) => provider.fromPersisted(bytes as Uint8Array),
  },
  {
    name: `${name}.schemaCompatCheck`,
    args: [provider],
    call: (old) => provider.schemaCompatCheck?.(old as AnyProvider),
  },
  {
    name: `${stateClasses[provider.kind]}.apply (${name})`,
    args: [ops[provider.kind]],
    call: (op) => {
      stateOf(provider).apply(op);
    },
  },
  {
    name: `${stateClasses[provider.kind]}.merge (${name})`,
    args: [provider.empty()],
    call: (other) => {
      stateOf(provider).merge(other);
    },
  },
  {
    name: `${stateClasses[provider.kind]}.equals (${name})`,
    args: [provider.empty()],
    call: (other) => stateOf(provider).equals(other),
  },
  ...deltaRows(name, provider),
]);

/** The `mergeDelta` row of a kind whose states have it (a delta of a state with one op). */
function deltaRows(name: string, provider: AnyProvider): ArgumentRow[] {
  type Marked = { mark(): { delta(): Uint8Array }; mergeDelta(delta: Uint8Array): void; apply(op: unknown): void };
  const state = provider.empty() as unknown as Partial<Marked>;
  if (typeof state.mark !== 'function') return [];
  const marked = state as Marked;
  const mark = marked.mark();
  marked.apply(ops[provider.kind]);
  return [
    {
      name: `${stateClasses[provider.kind]}.mergeDelta (${name})`,
      args: [mark.delta()],
      codes: [BYTES],
      call: (delta) => {
        (provider.empty() as unknown as Marked).mergeDelta(delta as Uint8Array);
      },
    },
  ];
}

/** A packed OR-Set as its decoder makes it. */
function packedOrSet(): unknown {
  const state = orSet().empty();
  state.apply({ replica: 'a', add: 'x' });
  const { body } = decodeEnvelope(state.persist(), { kind: 'or-set', versions: [2] });
  return decodeOrSetBody(2, body, new BodyReader('or-set'));
}

const write = { value: 'v', timestamp: 1, replica: 'a' };

export const crdtArgumentRows: readonly ArgumentRow[] = [
  ...providerRows,
  ...Object.entries({ gCounter, pnCounter, lwwRegister, orSet }).map(([name, create]): ArgumentRow => ({
    name,
    args: [{ maxBytes: 1024 }],
    call: (options) => create(options as never),
  })),
  { name: 'gCounter (format 2)', args: [{ maxBytes: 1024, format: 2 }], call: (options) => gCounter(options as never) },
  {
    name: 'migrateGCounterV1ToV2',
    args: [gCounter().empty().persist()],
    codes: [BYTES],
    call: (bytes) => migrateGCounterV1ToV2(bytes as Uint8Array),
  },
  { name: 'comparePrimitives', args: ['a', 1n], call: (a, b) => comparePrimitives(a as never, b as never) },
  { name: 'compareWrites', args: [write, write], call: (a, b) => compareWrites(a as never, b as never) },
  {
    name: 'GCounterState.count',
    args: ['a'],
    call: (replica) =>
      gCounter()
        .empty()
        .count(replica as string),
  },
  {
    name: 'PnCounterState.counts',
    args: ['a'],
    call: (replica) =>
      pnCounter()
        .empty()
        .counts(replica as string),
  },
  {
    name: 'OrSetState.has',
    args: ['x'],
    call: (element) =>
      orSet()
        .empty()
        .has(element as never),
  },
  {
    name: 'new GCounterState',
    args: [gCounterFormatV1, new ReplicaCounts([['a', 1]])],
    call: (format, counts) => GCounterState.create(format as never, counts as never).value(),
  },
  {
    name: 'new PnCounterState',
    args: [1, new ReplicaCounts([['a', 1]]), new ReplicaCounts()],
    call: (version, p, n) => PnCounterState.create(version as number, p as never, n as never).persist(),
  },
  {
    name: 'new LwwRegisterState',
    args: [1, write],
    call: (version, w) => LwwRegisterState.create(version as number, w as never).persist(),
  },
  { name: 'new OrSetState', args: [packedOrSet()], call: (packed) => OrSetState.create(packed as never).persist() },
];
