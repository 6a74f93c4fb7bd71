/**
 * A DuckDB query calling a plugin scalar function over 1M rows, three ways, in one process:
 *
 * - baton:  the function registered through `BatonDuckDB` (a stable entry point: bind, query lease,
 *           DuckDB ↔ Arrow conversion, the provider the query leased);
 * - direct: the same provider registered with `DuckDBScalarFunction` directly, through the same
 *           DuckDB ↔ Arrow conversion, with no host, lease or routing;
 * - native: a hand-written @duckdb/node-api function computing the same values without Arrow.
 *
 * baton / direct is what Baton costs; direct / native is what the Arrow contract costs. Rounds
 * alternate the variants and the medians are reported. Usage: `npm run bench -w packages/duckdb`
 * (`-- --rows 200000 --rounds 3`).
 */
import { parseArgs } from 'node:util';
import { DuckDBScalarFunction, VARCHAR } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { createPluginHost, definePlugin } from '@baton/core';
import { lowerFunction } from '@baton/kinds';
import { BatonDuckDB } from '../src/index.js';
import { writeArrow } from '../src/types/fromArrow.js';
import { toArrow } from '../src/types/toArrow.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, rounds: { type: 'string', default: '5' } },
});
const rows = Number(values.rows);
const rounds = Number(values.rounds);

const provider = lowerFunction();
const host = createPluginHost();
await host.load(
  definePlugin({
    name: 'bench',
    version: '1.0.0',
    register(r) {
      r.scalarFunction(provider);
    },
  }),
);
const engine = await BatonDuckDB.open({ host });
engine.registerScalarFunction('lower', { name: 'baton_lower' });
const connection = await engine.connect();
await connection.run(
  `CREATE TABLE names AS SELECT 'Customer ' || i::VARCHAR || ' ÄÖÜ' AS name FROM range(${rows}) r(i)`,
);

// The same provider and conversion, registered directly.
const raw: DuckDBConnection = await engine.instance.connect();
const varchar = { id: 'varchar' } as const;
raw.registerScalarFunction(
  DuckDBScalarFunction.create({
    name: 'direct_lower',
    parameterTypes: [VARCHAR],
    returnType: VARCHAR,
    specialHandling: true,
    mainFunction: (_info, input, output) => {
      const result = provider.invoke([toArrow(input.getColumnVector(0), varchar, input.rowCount)]);
      writeArrow(result as never, varchar, output);
    },
  }),
);
raw.registerScalarFunction(
  DuckDBScalarFunction.create({
    name: 'native_lower',
    parameterTypes: [VARCHAR],
    returnType: VARCHAR,
    specialHandling: true,
    mainFunction: (_info, input, output) => {
      const column = input.getColumnVector(0);
      for (let row = 0; row < input.rowCount; row++) {
        const value = column.getItem(row) as string | null;
        output.setItem(row, value === null ? null : value.toLowerCase());
      }
      output.flush();
    },
  }),
);

const sql = (fn: string): string => `SELECT sum(length(${fn}(name))) FROM names`;
const timings: Record<'baton' | 'direct' | 'native', number[]> = { baton: [], direct: [], native: [] };
const results = new Set<string>();
const time = async (label: keyof typeof timings, run: () => Promise<unknown>): Promise<void> => {
  const started = performance.now();
  results.add(String(await run()));
  timings[label].push(performance.now() - started);
};
for (let round = 0; round <= rounds; round++) {
  const measured = round > 0; // round 0 warms up
  const batonRun = () => connection.runAndReadAll(sql('baton_lower')).then((r) => r.getRows()[0]![0]);
  const directRun = () => raw.runAndReadAll(sql('direct_lower')).then((r) => r.getRows()[0]![0]);
  const nativeRun = () => raw.runAndReadAll(sql('native_lower')).then((r) => r.getRows()[0]![0]);
  const order = round % 2 === 0 ? (['baton', 'direct', 'native'] as const) : (['native', 'direct', 'baton'] as const);
  for (const label of order) {
    if (!measured) {
      await (label === 'baton' ? batonRun() : label === 'direct' ? directRun() : nativeRun());
      continue;
    }
    await time(label, label === 'baton' ? batonRun : label === 'direct' ? directRun : nativeRun);
  }
}
if (results.size !== 1) throw new Error(`the variants disagree: ${[...results].join(', ')}`);

const median = (list: number[]): number => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;
const baton = median(timings.baton);
const direct = median(timings.direct);
const native = median(timings.native);
const rate = (ms: number): string => `${(((rows / ms) * 1000) / 1e6).toFixed(2)} M rows/s`;
console.log(`DuckDB query over ${rows} rows calling lower() (median of ${rounds} rounds, Node ${process.version})`);
console.log(`  baton   ${baton.toFixed(1).padStart(8)} ms   ${rate(baton)}`);
console.log(`  direct  ${direct.toFixed(1).padStart(8)} ms   ${rate(direct)}`);
console.log(`  native  ${native.toFixed(1).padStart(8)} ms   ${rate(native)}`);
console.log(`  baton/direct throughput ratio: ${(direct / baton).toFixed(3)}×  (Baton's cost: routing, lease)`);
console.log(`  direct/native throughput ratio: ${(native / direct).toFixed(3)}×  (the Arrow contract's cost)`);

raw.disconnectSync();
await connection.close();
await engine.close();
await host.close();
