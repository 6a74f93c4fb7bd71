import { orSet, OrSetState } from '@baton/kinds';
const N = 10000;
const replicas = ['replica-a', 'replica-b', 'replica-c', 'replica-d'];
const parts = replicas.map(() => orSet.empty());
for (let i = 0; i < N; i++) {
  const el = `element-${String(i).padStart(6, '0')}`;
  parts[i % 4]!.apply({ replica: replicas[i % 4]!, add: el });
  if (i % 10 === 0) parts[(i + 1) % 4]!.apply({ replica: replicas[(i + 1) % 4]!, add: el });
}
const state = parts[0]!;
for (const p of parts.slice(1)) state.merge(p);
console.log(state.size);
// plain model for JSON
const bytes0 = state.persist();
const model = { replicas: [...replicas], context: [0,0,0,0], entries: new Map<string, number[]>() };
function med(f: () => void, reps = 50): number { const a: number[] = []; for (let i = 0; i < reps; i++) { const t = performance.now(); f(); a.push(performance.now() - t); } a.sort((x, y) => x - y); return a[a.length >> 1]!; }
// build model from value and fake dots
for (const el of state.value()) model.entries.set(el as string, [0, 1]);
let k = 0;
const unchanged = med(() => { const b = state.persist(); orSet.fromPersisted(b); });
const afterOp = med(() => { state.apply({ replica: 'replica-a', add: `extra-${k++}` }); const b = state.persist(); orSet.fromPersisted(b); });
const persistOnly = med(() => { state.apply({ replica: 'replica-a', add: `extra-${k++}` }); state.persist(); });
const fromOnly = med(() => { orSet.fromPersisted(bytes0); });
const json = med(() => { const s = JSON.stringify({ replicas: model.replicas, context: model.context, entries: [...model.entries] }); const o = JSON.parse(s) as { replicas: string[]; context: number[]; entries: [string, number[]][] }; const m = new Map<string, {element: string; dots: number[]}>(); for (const [e, d] of o.entries) m.set(e, { element: e, dots: d }); });
const jsonArr = med(() => { const els = [...model.entries.keys()]; const dots = [...model.entries.values()]; const s = JSON.stringify([model.replicas, model.context, els, dots]); JSON.parse(s); });
console.log({ unchanged, afterOp, persistOnly, fromOnly, json, jsonArr, bytes: bytes0.byteLength });
