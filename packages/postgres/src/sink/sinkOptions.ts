import { ReloadError } from '@baton/core';
import { checkFenceOptions } from './sinkFence.js';
import type { SinkFence, SinkFenceOptions } from './sinkFence.js';

/** Options of {@link postgresCdcOutput}. */
export interface PostgresCdcOutputOptions {
  /** The output's name (registry key). */
  readonly name: string;
  /** `postgres://user:password@host:port/database` of the database the sink's tables live in. */
  readonly url: string;
  /** The sink's name in its tables (its offsets row, its batches and changes); default `name`. */
  readonly output?: string;
  /** Schema of the tables (default `public`; created if missing). */
  readonly schema?: string;
  /** Prefix of the table names (default `baton_cdc`: `baton_cdc_offsets`, `_batches`, `_changes`). */
  readonly tablePrefix?: string;
  /**
   * Fences the writer by a lease instead of a session advisory lock (off by default): every
   * transaction checks, on the lease row of `fence.stream`, that the writer's token is still the
   * row's — a stale writer (a paused or partitioned process whose lease a newer owner acquired) is
   * `LOCKED` and writes nothing. See `sinkFence.ts` and the package README.
   */
  readonly fence?: SinkFenceOptions;
}

/** The checked options, defaults filled in. */
export interface SinkConfig {
  /** The output's name (registry key). */
  readonly name: string;
  /** The sink database's URL, as given. */
  readonly url: string;
  /** The sink's name in its tables. */
  readonly output: string;
  /** Schema of the tables. */
  readonly schema: string;
  /** Prefix of the table names. */
  readonly tablePrefix: string;
  /** The lease the writers are fenced by (undefined: the session advisory lock and the generation). */
  readonly fence?: SinkFence;
}

const KNOWN = ['name', 'url', 'output', 'schema', 'tablePrefix', 'fence'];
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,39}$/;

/** Checks every option (an unknown one included): `INVALID_ARGUMENT` naming the first wrong one. */
export function checkSinkOptions(input: PostgresCdcOutputOptions): SinkConfig {
  const options = input as unknown; // from JavaScript callers too: every option is checked as unknown
  const name = String((options as { name?: unknown } | null | undefined)?.name);
  const invalid = (message: string): ReloadError =>
    new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: 'call',
      kind: 'cdcOutput',
      key: name,
      message: `CDC '${name}': postgresCdcOutput ${message}`,
    });
  if (typeof options !== 'object' || options === null) throw invalid('needs options { name, url }');
  const unknown = Object.keys(options).filter((key) => !KNOWN.includes(key));
  if (unknown.length > 0) throw invalid(`has unknown option(s) ${unknown.join(', ')} (known: ${KNOWN.join(', ')})`);
  const raw = options as Record<string, unknown>;
  if (typeof raw['name'] !== 'string' || raw['name'] === '') throw invalid('needs a non-empty string name');
  if (typeof raw['url'] !== 'string' || !/^postgres(ql)?:\/\//.test(raw['url']))
    throw invalid('needs url, a postgres:// URL');
  const output = raw['output'] ?? raw['name'];
  if (typeof output !== 'string' || output === '' || output.length > 200)
    throw invalid('output must be a non-empty string of at most 200 characters');
  const schema = raw['schema'] ?? 'public';
  const tablePrefix = raw['tablePrefix'] ?? 'baton_cdc';
  if (typeof schema !== 'string' || !IDENTIFIER.test(schema))
    throw invalid('schema must be a lower-case SQL identifier of at most 40 characters');
  if (typeof tablePrefix !== 'string' || !IDENTIFIER.test(tablePrefix))
    throw invalid('tablePrefix must be a lower-case SQL identifier of at most 40 characters');
  const config = { name: raw['name'], url: raw['url'], output, schema, tablePrefix };
  return raw['fence'] === undefined ? config : { ...config, fence: checkFenceOptions(raw['fence'], invalid) };
}
