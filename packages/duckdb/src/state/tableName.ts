const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$/;

/** Why `table` is not a table name the state classes accept (`name` or `schema.name`), or undefined. */
export function tableNameProblem(table: unknown): string | undefined {
  if (typeof table !== 'string' || !TABLE_NAME.test(table))
    return `table must be a name of letters, digits and _ (optionally schema.name), got ${typeof table === 'string' ? JSON.stringify(table) : typeof table}`;
  return undefined;
}

/** `"schema"."name"`: the checked name quoted for SQL. */
export function quoteIdentifier(table: string): string {
  return table
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
