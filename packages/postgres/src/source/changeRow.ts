/** What a change did. */
export type ChangeOp = 'insert' | 'update' | 'delete' | 'truncate';

/**
 * Column values of one row: PostgreSQL's text form of each value (what `value::text` gives, read with
 * `DateStyle = ISO`, `TimeZone = UTC`, `IntervalStyle = postgres`, `extra_float_digits = 3` and
 * `bytea_output = hex`), `null` for SQL NULL. A column PostgreSQL did not send — an unchanged
 * TOASTed value of an update's new row — is absent.
 */
export type ChangeValues = Readonly<Record<string, string | null>>;

/** One row change of a committed transaction, as the change source decodes it. */
export interface ChangeRow {
  /** What the change did. */
  readonly op: ChangeOp;
  /** `schema.table`, each part double-quoted when it is not a plain lower-case identifier. */
  readonly table: string;
  /**
   * The row's replica identity before the change (for an insert: of the new row): the columns
   * PostgreSQL flags as identity — the primary key by default, the index of `REPLICA IDENTITY USING
   * INDEX`, every column with `REPLICA IDENTITY FULL`. `null` for a truncate or a table without one.
   */
  readonly key: ChangeValues | null;
  /** The row after an insert or update; `null` for a delete or truncate. */
  readonly new: ChangeValues | null;
  /** The whole row before an update or delete, sent only with `REPLICA IDENTITY FULL`; else `null`. */
  readonly old: ChangeValues | null;
}

/** `schema.name` as {@link ChangeRow.table} spells it. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIfNeeded(schema)}.${quoteIfNeeded(name)}`;
}

function quoteIfNeeded(identifier: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(identifier) ? identifier : `"${identifier.replaceAll('"', '""')}"`;
}
