import { orSet } from '@baton/kinds';
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
let k = 0;
const mode = process.argv[2] ?? 'after';
const t = performance.now();
for (let i = 0; i < 2000; i++) {
  if (mode === 'after') state.apply({ replica: 'replica-a', add: `extra-${k++}` });
  const b = state.persist(); orSet.fromPersisted(b);
}
console.log(mode, (performance.now() - t) / 2000);
