import { createPluginHost, definePlugin } from '@baton/core';
import { BatonDuckDB } from '@baton/duckdb';
import { lowerFunction } from '@baton/kinds';
import { registerBaselines } from './duckdbDirect.js';
import type { BenchRow, GoalSection } from './results.js';
import { interleaved, median } from './stats.js';

/** Options of {@link benchDuckDBQuery}. */
export interface DuckDBQueryOptions {
  readonly rows: number;
  readonly rounds: number;
}

/**
 * Goal 9: a DuckDB query calling a plugin scalar function (`lower()` of `@baton/kinds`) over every
 * row of a table, through Baton's entry point (`BatonDuckDB.registerScalarFunction`: bind, query
 * lease, DuckDB ↔ Arrow conversion, the leased provider) against the same provider registered with
 * `@duckdb/node-api` directly (same conversion, no host), and a hand-written DuckDB function
 * computing the same values without Arrow. One in-memory database; rounds alternate the variants.
 */
export async function benchDuckDBQuery(options: DuckDBQueryOptions): Promise<Omit<GoalSection, 'seconds'>> {
  const provider = lowerFunction();
  const host = createPluginHost();
  await host.load(
    definePlugin({
      name: 'bench-duckdb',
      version: '1.0.0',
      register(r) {
        r.scalarFunction(provider);
      },
    }),
  );
  const engine = await BatonDuckDB.open({ host });
  try {
    engine.registerScalarFunction('lower', { name: 'baton_lower' });
    const connection = await engine.connect();
    await connection.run(
      `CREATE TABLE names AS SELECT 'Customer ' || i::VARCHAR || ' ÄÖÜ' AS name FROM range(${options.rows}) r(i)`,
    );
    const raw = await engine.instance.connect();
    registerBaselines(raw, provider);
    const sql = (fn: string): string => `SELECT sum(length(${fn}(name)))::BIGINT FROM names`;
    const answers = new Set<string>();
    // CPU time of the process per query (every thread: DuckDB's workers and the JavaScript thread),
    // which other processes' load disturbs far less than the elapsed time.
    const cpu: Record<'baton' | 'direct' | 'native', number[]> = { baton: [], direct: [], native: [] };
    const query =
      (on: { runAndReadAll(sql: string): Promise<{ getRows(): unknown[][] }> }, fn: string, label: keyof typeof cpu) =>
      async () => {
        const before = process.cpuUsage();
        const rows = (await on.runAndReadAll(sql(fn))).getRows();
        const used = process.cpuUsage(before);
        cpu[label].push((used.user + used.system) / 1000);
        answers.add(String(rows[0]![0]));
      };
    const variants = {
      baton: { run: query(connection, 'baton_lower', 'baton') },
      direct: { run: query(raw, 'direct_lower', 'direct') },
      native: { run: query(raw, 'native_lower', 'native') },
    };
    await interleaved(variants, 1); // warm-up: JIT, DuckDB's caches
    for (const list of Object.values(cpu)) list.length = 0; // the warm-up round is not counted
    const times = await interleaved(variants, options.rounds, { gcBetween: true });
    if (answers.size !== 1) throw new Error(`the variants disagree: ${[...answers].join(', ')}`);
    raw.disconnectSync();
    await connection.close();

    const rate = (ms: number): number => options.rows / ms / 1000; // M rows/s
    const [baton, direct, native] = [median(times.baton), median(times.direct), median(times.native)];
    const paired = times.baton.map((ms, i) => times.direct[i]! / ms);
    const rows: BenchRow[] = [
      {
        name: `lower() over ${options.rows.toLocaleString('en-US')} rows, BatonDuckDB entry point`,
        baton: rate(baton),
        baseline: rate(direct),
        unit: 'M rows/s',
        baselineLabel: 'the same provider registered with @duckdb/node-api directly',
        ratio: direct / baton,
        target: { on: 'ratio', cmp: '>=', value: 0.95 },
      },
      {
        name: 'the same query, BatonDuckDB entry point vs a hand-written DuckDB function',
        baton: rate(baton),
        baseline: rate(native),
        unit: 'M rows/s',
        baselineLabel: 'native @duckdb/node-api function, no Arrow',
        ratio: native / baton,
      },
      {
        name: 'the provider registered directly vs a hand-written DuckDB function (the Arrow contract alone)',
        baton: rate(direct),
        baseline: rate(native),
        unit: 'M rows/s',
        baselineLabel: 'native @duckdb/node-api function, no Arrow',
        ratio: native / direct,
      },
    ];
    return {
      id: 9,
      title: 'A DuckDB query calling a plugin scalar function',
      goal:
        'a DuckDB query calling a plugin scalar function over 1M rows, through Baton (`BatonDuckDB` entry point) vs ' +
        'the same function registered directly with @duckdb/node-api: ≥ 0.95×.',
      ratioOf: 'Baton / baseline (rows per second; higher is better)',
      appliesTo:
        'the first row. The baseline registers the same provider object with `DuckDBScalarFunction.create` and converts ' +
        "each chunk as Baton's entry point does (DuckDB VARCHAR → Arrow Utf8 → `invoke` → back); the other rows " +
        'compare with a hand-written DuckDB function (what the Arrow contract costs), for reference.',
      rows,
      findings: [
        `\`SELECT sum(length(f(name))) FROM names\` over ${options.rows.toLocaleString('en-US')} rows of about 20 ` +
          `characters (DuckDB calls f once per chunk of up to 2048 rows, on the JavaScript thread); medians of ` +
          `${options.rounds} rounds in alternating order after one untimed round, garbage collected before each ` +
          `query; every variant returns the same sum. Through Baton: ${baton.toFixed(0)} ms; directly: ` +
          `${direct.toFixed(0)} ms; hand-written: ${native.toFixed(0)} ms.`,
        `CPU time of the process per query (all threads; medians): through Baton ${median(cpu.baton).toFixed(0)} ms, ` +
          `directly ${median(cpu.direct).toFixed(0)} ms (${(median(cpu.direct) / median(cpu.baton)).toFixed(3)}×), ` +
          `hand-written ${median(cpu.native).toFixed(0)} ms. Elapsed time is what the goal compares; CPU time shows ` +
          'what each variant costs the machine, which other processes running at the same time disturb far less.',
        `Ratio within each round (Baton's query against the direct query of the same round): median ` +
          `${median(paired).toFixed(3)}, from ${Math.min(...paired).toFixed(2)} to ${Math.max(...paired).toFixed(2)}.`,
      ],
      measuredAt: new Date().toISOString(),
    };
  } finally {
    await engine.close();
    await host.close();
  }
}
