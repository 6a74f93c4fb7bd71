const noop = async (): Promise<number> => 1;
let c = 0;
const r = (): void => { c--; };
const N = 100000;
const tasks: Record<string, () => Promise<void>> = {
  direct: async () => { for (let i = 0; i < N; i++) await noop(); },
  thenRR: async () => { for (let i = 0; i < N; i++) { c++; const p = noop(); p.then(r, r); await p; } },
  finally: async () => { for (let i = 0; i < N; i++) { c++; const p = noop(); void p.finally(r); await p; } },
  asyncWrap: async () => { for (let i = 0; i < N; i++) { await (async () => { c++; try { return await noop(); } finally { c--; } })(); } },
  syncFn: async () => { for (let i = 0; i < N; i++) { await 1; } },
};
const res: Record<string, number[]> = {};
for (let round = 0; round < 20; round++) {
  for (const [k, t] of Object.entries(tasks)) {
    const s = performance.now(); await t(); const e = performance.now();
    (res[k] ??= []).push((e - s) * 1e6 / N);
  }
}
for (const [k, v] of Object.entries(res)) { v.sort((a, b) => a - b); console.log(k, v[v.length >> 1]!.toFixed(1), 'ns'); }
