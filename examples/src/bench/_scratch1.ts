import { createPluginHost, definePlugin } from '@baton/core';
import { gCounter, lowerFunction } from '@baton/kinds';
const noop = async (): Promise<number> => 1;
const fn = { name: 'noop', invoke: noop };
const host = createPluginHost();
await host.load(definePlugin({ name: 'p', version: '1.0.0', register(r) { r.scalarFunction({ ...lowerFunction(), name: 'noop', invoke: noop } as never); r.crdtKind(gCounter); } }));
const ref = host.surface('scalarFunction', 'noop');
const crdt = await host.openCrdt<{replica:string;by:number}, number>({ name: 'c', kind: 'g-counter' });
const direct = gCounter.empty();
const N = 10000;
const tasks: Record<string, () => Promise<void>> = {
  direct: async () => { for (let i = 0; i < N; i++) await noop(); },
  ref: async () => { for (let i = 0; i < N; i++) await ref.call((f) => (f as unknown as typeof fn).invoke()); },
  host: async () => { for (let i = 0; i < N; i++) await host.call('scalarFunction', 'noop', (f) => (f as unknown as typeof fn).invoke()); },
  crdtDirect: async () => { for (let i = 0; i < N; i++) await direct.apply({ replica: 'a', by: 1 }); },
  crdtManaged: async () => { for (let i = 0; i < N; i++) await crdt.apply({ replica: 'a', by: 1 }); },
};
const res: Record<string, number[]> = {};
for (let round = 0; round < 30; round++) {
  for (const [k, t] of Object.entries(tasks)) {
    const s = performance.now(); await t(); const e = performance.now();
    (res[k] ??= []).push((e - s) * 1e6 / N);
  }
}
for (const [k, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(k, v[v.length >> 1]!.toFixed(1), 'ns'); }
