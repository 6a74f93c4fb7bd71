/**
 * Test helper for the mapping property: generated multi-statement transactions over tables of
 * several replica identities and column types, run against PostgreSQL while a model of the tables
 * predicts the rows the change source must produce (values in PostgreSQL's text form, computed here
 * independently of the server).
 */
import fc from 'fast-check';
import pg from 'pg';
import type { ChangeRow } from '../changeRow.js';

/** A value of each generated column type, as the test sends it and as it expects it back. */
export interface Cell {
  /** The parameter sent to PostgreSQL. */
  readonly param: unknown;
  /** PostgreSQL's text form (`jsonb`: the JSON value instead, compared parsed). */
  readonly expected: unknown;
}

export type Row = Readonly<Record<string, Cell | null>>;

/** A table of the generated schema: its name parts, and whether it has REPLICA IDENTITY FULL. */
export interface TableSpec {
  readonly schema: string;
  readonly name: string;
  readonly full: boolean;
  /** The non-key columns and their SQL types. */
  readonly columns: readonly (readonly [string, string])[];
}

const typed: readonly (readonly [string, string])[] = [
  ['n', 'numeric'],
  ['s', 'text'],
  ['b', 'bool'],
  ['ts', 'timestamptz'],
  ['by', 'bytea'],
  ['j', 'jsonb'],
];

/** The tables of run `run`: default identity, FULL identity, and one needing quotes. */
function tablesOf(run: number): TableSpec[] {
  return [
    { schema: `run_${run}`, name: 'plain', full: false, columns: typed },
    { schema: `run_${run}`, name: 'full_rows', full: true, columns: typed },
    { schema: `Odd Run ${run}`, name: 'Mixed "Case"', full: false, columns: [['Note', 'text']] },
  ];
}

const quoted = (spec: TableSpec): string => `${pg.escapeIdentifier(spec.schema)}.${pg.escapeIdentifier(spec.name)}`;

/** What the change source calls the table. */
const tableName = (spec: TableSpec): string => {
  const part = (p: string) => (/^[a-z_][a-z0-9_$]*$/.test(p) ? p : `"${p.replaceAll('"', '""')}"`);
  return `${part(spec.schema)}.${part(spec.name)}`;
};

/** DDL of the run's tables and of the marker table that ends each run. */
export function ddlOf(run: number): string {
  return [
    ...tablesOf(run).flatMap((spec) => [
      `CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(spec.schema)}`,
      `CREATE TABLE ${quoted(spec)} (id int8 PRIMARY KEY, ${spec.columns.map(([c, t]) => `${pg.escapeIdentifier(c)} ${t}`).join(', ')})`,
      ...(spec.full ? [`ALTER TABLE ${quoted(spec)} REPLICA IDENTITY FULL`] : []),
    ]),
    `CREATE TABLE run_${run}.marker (id int PRIMARY KEY)`,
  ].join(';\n');
}

const numericText = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('NaN', 'Infinity', '-Infinity') },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 24n }), fc.stringMatching(/^[0-9]{0,6}$/))
      .map(([negative, whole, fraction]) => {
        const zero = whole === 0n && /^0*$/.test(fraction);
        return `${negative && !zero ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
      }),
  },
);

/** Microseconds since the epoch, 1900–2200, and PostgreSQL's ISO text of them in UTC. */
const timestamp = fc.bigInt({ min: -2_208_988_800_000_000n, max: 7_258_118_400_000_000n }).map((micros) => {
  const seconds = micros >= 0n ? micros / 1_000_000n : -((-micros + 999_999n) / 1_000_000n);
  const fraction = micros - seconds * 1_000_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
  const digits = fraction.toString().padStart(6, '0').replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${digits === '' ? '' : `.${digits}`}+00`;
});

const jsonDocument = fc
  .jsonValue({ maxDepth: 2 })
  .filter((value) => !/\\u0000|__proto__/.test(JSON.stringify(value)) && !Object.is(value, -0));

/** A generated value of `type`, or NULL. */
function cellOf(type: string): fc.Arbitrary<Cell | null> {
  const cell: fc.Arbitrary<Cell> = (() => {
    switch (type) {
      case 'numeric':
        return numericText.map((text) => ({ param: text, expected: text }));
      case 'text':
        return fc
          .string({ unit: 'grapheme', maxLength: 12 })
          .filter((s) => !s.includes('\u0000'))
          .map((s) => ({ param: s, expected: s }));
      case 'bool':
        return fc.boolean().map((b) => ({ param: b, expected: b ? 't' : 'f' }));
      case 'timestamptz':
        return timestamp.map((text) => ({ param: text, expected: text }));
      case 'bytea':
        return fc
          .uint8Array({ maxLength: 12 })
          .map((bytes) => ({ param: Buffer.from(bytes), expected: `\\x${Buffer.from(bytes).toString('hex')}` }));
      case 'jsonb':
        return jsonDocument.map((value) => ({ param: JSON.stringify(value), expected: value }));
      default:
        throw new Error(`no generator for ${type}`);
    }
  })();
  return fc.option(cell, { nil: null, freq: 4 });
}

/** One generated statement, before it is checked against the model. */
export type Statement =
  | { readonly kind: 'insert'; readonly table: number; readonly id: number; readonly values: readonly (Cell | null)[] }
  | {
      readonly kind: 'update';
      readonly table: number;
      readonly id: number;
      readonly newId: number | null;
      readonly values: readonly (Cell | null)[];
    }
  | { readonly kind: 'delete'; readonly table: number; readonly id: number }
  | { readonly kind: 'truncate'; readonly table: number };

const valuesFor = (table: number): fc.Arbitrary<(Cell | null)[]> =>
  fc.tuple(...tablesOf(0)[table]!.columns.map(([, type]) => cellOf(type)));

const id = fc.integer({ min: 0, max: 4 });

const statement: fc.Arbitrary<Statement> = fc.integer({ min: 0, max: 2 }).chain((table) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('insert' as const),
        table: fc.constant(table),
        id,
        values: valuesFor(table),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('update' as const),
        table: fc.constant(table),
        id,
        newId: fc.option(id, { nil: null }),
        values: valuesFor(table),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), table: fc.constant(table), id }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), table: fc.constant(table) }) },
  ),
);

/** Transactions: statements, and whether the transaction commits or rolls back. */
export const transactions = fc.array(
  fc.record({
    statements: fc.array(statement, { minLength: 1, maxLength: 5 }),
    commit: fc.constantFrom(true, true, true, false),
  }),
  { minLength: 1, maxLength: 4 },
);

/** An SQL statement to run and the change row it must produce. */
export interface Planned {
  readonly sql: string;
  readonly params: unknown[];
  readonly expected: ExpectedRow;
}

/** A change row with typed expectations (jsonb as JSON values). */
export type ExpectedRow = Omit<ChangeRow, 'key' | 'new' | 'old'> & {
  readonly key: Record<string, unknown> | null;
  readonly new: Record<string, unknown> | null;
  readonly old: Record<string, unknown> | null;
};

/** The tables' contents: table index → id → row. */
export type Model = Map<number, Map<number, Row>>;

/**
 * Plans `statement` against the model (a statement that would fail — inserting an existing id,
 * updating or deleting a missing one — is dropped, as is a key change onto an existing id) and
 * applies it to `model`. Returns what to run and expect, or undefined.
 */
export function plan(run: number, model: Model, statement: Statement): Planned | undefined {
  const spec = tablesOf(run)[statement.table]!;
  const rows = model.get(statement.table) ?? new Map<number, Row>();
  model.set(statement.table, rows);
  const table = tableName(spec);
  const names = spec.columns.map(([c]) => c);
  const rowOf = (key: number, values: readonly (Cell | null)[]): Row =>
    Object.fromEntries([
      ['id', { param: key, expected: String(key) }] as const,
      ...names.map((c, i) => [c, values[i] ?? null] as const),
    ]);
  const texts = (row: Row): Record<string, unknown> =>
    Object.fromEntries(Object.entries(row).map(([c, cell]) => [c, cell === null ? null : cell.expected]));
  const identity = (row: Row): Record<string, unknown> => (spec.full ? texts(row) : { id: texts(row)['id'] });
  switch (statement.kind) {
    case 'insert': {
      if (rows.has(statement.id)) return undefined;
      const row = rowOf(statement.id, statement.values);
      rows.set(statement.id, row);
      const columns = ['id', ...names];
      return {
        sql: `INSERT INTO ${quoted(spec)} (${columns.map((c) => pg.escapeIdentifier(c)).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
        params: columns.map((c) => row[c]?.param ?? null),
        expected: { op: 'insert', table, key: identity(row), new: texts(row), old: null },
      };
    }
    case 'update': {
      const before = rows.get(statement.id);
      if (!before) return undefined;
      const target = statement.newId !== null && !rows.has(statement.newId) ? statement.newId : statement.id;
      const after = rowOf(target, statement.values);
      rows.delete(statement.id);
      rows.set(target, after);
      const sets = ['id', ...names].map((c, i) => `${pg.escapeIdentifier(c)} = $${i + 1}`).join(', ');
      return {
        sql: `UPDATE ${quoted(spec)} SET ${sets} WHERE id = $${names.length + 2}`,
        params: [target, ...names.map((c) => after[c]?.param ?? null), statement.id],
        expected: {
          op: 'update',
          table,
          key: identity(before),
          new: texts(after),
          old: spec.full ? texts(before) : null,
        },
      };
    }
    case 'delete': {
      const before = rows.get(statement.id);
      if (!before) return undefined;
      rows.delete(statement.id);
      return {
        sql: `DELETE FROM ${quoted(spec)} WHERE id = $1`,
        params: [statement.id],
        expected: { op: 'delete', table, key: identity(before), new: null, old: spec.full ? texts(before) : null },
      };
    }
    case 'truncate':
      rows.clear();
      return {
        sql: `TRUNCATE ${quoted(spec)}`,
        params: [],
        expected: { op: 'truncate', table, key: null, new: null, old: null },
      };
  }
}

/** A decoded row with its `j` (jsonb) values parsed, to compare with an {@link ExpectedRow}. */
export function comparable(row: ChangeRow): ExpectedRow {
  const parse = (values: ChangeRow['new']): Record<string, unknown> | null =>
    values === null
      ? null
      : Object.fromEntries(
          Object.entries(values).map(([c, v]) => [c, c === 'j' && v !== null ? (JSON.parse(v) as unknown) : v]),
        );
  return { op: row.op, table: row.table, key: parse(row.key), new: parse(row.new), old: parse(row.old) };
}
