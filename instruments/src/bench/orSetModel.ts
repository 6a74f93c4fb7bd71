import { orSet } from '@baton/kinds';
import type { OrSetOp, OrSetState } from '@baton/kinds';

/**
 * The same information as an OR-Set state — replica table, causal context, and each element's
 * dots — held the way a naive implementation would hold it: a Map from element to its flat dots
 * `[replicaIndex, counter, …]`. It is the JSON baseline's live structure.
 */
export interface PlainOrSet {
  readonly replicas: string[];
  readonly context: number[];
  readonly entries: Map<string, number[]>;
}

/** Applies an op to the plain model the way the OR-Set applies it (string elements only). */
export function applyPlain(model: PlainOrSet, op: OrSetOp): void {
  if ('remove' in op) {
    model.entries.delete(op.remove as string);
    return;
  }
  let r = model.replicas.indexOf(op.replica);
  if (r < 0) r = model.replicas.push(op.replica) - 1;
  const counter = (model.context[r] ?? 0) + 1;
  model.context[r] = counter;
  const element = op.add as string;
  // Like the OR-Set: a fresh dot replaces this replica's earlier dot of the element, others stay.
  const dots: number[] = [];
  const old = model.entries.get(element) ?? [];
  for (let i = 0; i < old.length; i += 2) if (old[i] !== r) dots.push(old[i]!, old[i + 1]!);
  dots.push(r, counter);
  model.entries.set(element, dots);
}

/** The naive "saveState as JSON": the model as JSON text. */
export function persistJson(model: PlainOrSet): string {
  return JSON.stringify({ replicas: model.replicas, context: model.context, entries: [...model.entries] });
}

/** Reads {@link persistJson} text back into the same live structure (the Map). */
export function fromJson(text: string): PlainOrSet {
  const parsed = JSON.parse(text) as { replicas: string[]; context: number[]; entries: [string, number[]][] };
  return { replicas: parsed.replicas, context: parsed.context, entries: new Map(parsed.entries) };
}

/** The cheapest JSON of the same information: arrays only, nothing rebuilt after parsing. */
export function arrayJsonRoundTrip(model: PlainOrSet): unknown {
  return JSON.parse(
    JSON.stringify([model.replicas, model.context, [...model.entries.keys()], [...model.entries.values()]]),
  );
}

/**
 * An OR-Set of `count` string elements over four replicas, as replicas reach it: each adds its
 * share, one element in ten is also added concurrently by a second replica (two dots), one in
 * fifty is added and removed again; then the replicas' states are merged.
 */
export function buildOrSet(count: number): OrSetState {
  const replicas = ['replica-a', 'replica-b', 'replica-c', 'replica-d'];
  const states = replicas.map(() => orSet().empty());
  for (let i = 0; i < count; i++) {
    const element = `element-${String(i).padStart(6, '0')}`;
    const r = i % replicas.length;
    states[r]!.apply({ replica: replicas[r]!, add: element });
    if (i % 10 === 0) states[(r + 1) % 4]!.apply({ replica: replicas[(r + 1) % 4]!, add: element });
    if (i % 50 === 0) {
      states[r]!.apply({ replica: replicas[r]!, add: `removed-${i}` });
      states[r]!.apply({ replica: replicas[r]!, remove: `removed-${i}` });
    }
  }
  const [first, ...rest] = states;
  for (const other of rest) first!.merge(other);
  return first!;
}
