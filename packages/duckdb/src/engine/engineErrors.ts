import { ReloadError, isReloadError } from '@baton/core';
import type { PluginInfo, ReloadErrorCode } from '@baton/core';
import { providerError } from '@baton/core/kit';

/** Where an entry point's call went: its kind, SQL name and the plugin version serving the query. */
export interface EntryCallSite {
  readonly kind: string;
  readonly name: string;
  readonly plugin?: PluginInfo;
}

const versionOf = (site: EntryCallSite): string => (site.plugin ? ` (${site.plugin.name} ${site.plugin.version})` : '');

/**
 * The error a query gets when the provider behind an entry point fails: the host's own rule
 * (`providerError` of `@baton/core/kit`) — a `ReloadError` whose code a provider may report passes as
 * it is; anything else becomes the cause of `PROVIDER_FAILED`.
 */
export function providerCallError(site: EntryCallSite, step: string, error: unknown): ReloadError {
  const plugin = site.plugin ? { plugin: site.plugin.name, version: site.plugin.version } : {};
  return providerError({ kind: site.kind, name: site.name, ...plugin }, step, error);
}

/** An entry point's own verdict on what a provider did (returned a promise, a wrong type or length). */
export function entryPointError(
  site: EntryCallSite,
  code: ReloadErrorCode,
  message: string,
  cause?: unknown,
): ReloadError {
  return new ReloadError({
    code,
    phase: 'call',
    kind: site.kind,
    key: site.name,
    ...(site.plugin ? { plugin: site.plugin.name } : {}),
    message: `${site.kind} '${site.name}'${versionOf(site)}: ${message}`,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** DuckDB error types (the prefix of its messages) that say the statement itself is wrong. */
const statementErrors =
  /^(Parser|Binder|Catalog|Conversion|Invalid Input|Constraint|Not implemented|Out of Range|Dependency|Invalid type|Mismatch Type|Syntax|Permission|Sequence|Transaction|TransactionContext) Error/;

/** What a DuckDB failure happened in. */
export interface DuckDBFailureSite {
  /** What was being done: `query` (default), `open`, `register plugin_lower`. */
  readonly action?: string;
  /** The statement, when one ran (quoted in the message, cut at 200 characters). */
  readonly sql?: string;
  /** The database file or table involved. */
  readonly location?: string;
  /** The caller's signal: when it is aborted, the failure is `ABORTED`. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * A DuckDB failure as a `ReloadError`: an interrupted query is `ABORTED`, a database file another
 * process holds `LOCKED` (retryable), another I/O error `IO_FAILED`, a statement DuckDB refuses
 * `INVALID_ARGUMENT`, anything else `INTERNAL`; the message names the action, the location and the
 * statement, and the DuckDB error is the cause.
 */
export function duckdbError(error: unknown, site: DuckDBFailureSite = {}): ReloadError {
  if (isReloadError(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const code: ReloadErrorCode =
    site.signal?.aborted || /^INTERRUPT Error/.test(detail)
      ? 'ABORTED'
      : /^IO Error: Could not set lock on file/.test(detail)
        ? 'LOCKED'
        : /^IO Error/.test(detail)
          ? 'IO_FAILED'
          : statementErrors.test(detail)
            ? 'INVALID_ARGUMENT'
            : 'INTERNAL';
  const { sql, location } = site;
  const statement = sql === undefined ? '' : ` (query: ${sql.length > 200 ? `${sql.slice(0, 200)}…` : sql})`;
  return new ReloadError({
    code,
    phase: 'call',
    message: `DuckDB ${site.action ?? 'query'} failed${location === undefined ? '' : ` on ${location}`}: ${detail}${statement}`,
    cause: error,
    ...(location === undefined ? {} : { details: { location } }),
  });
}
