import type { CrdtKindProvider, Registrar } from '@baton/core';
import { describeValue } from '@baton/core/kit';
import { checkName, formatPhases, invalidFormatArgument, isFormatNumber, pinnedProblem } from './formatPhase.js';
import type { FormatPhase, FormatPhaseRow, FormatSchemaOptions } from './formatPhase.js';
import { listFormatPhases } from './formatPhaseStore.js';
import type { Queryable } from '../store/queryable.js';
import { pinFormat } from './pinFormat.js';

/** The host-service token of {@link FleetFormats}: a plugin's `register()` resolves it from `r.scope`. */
export const FLEET_FORMATS = 'baton.fleet.formats';

/** What one plugin version writes: its phase and, in `mixed`, the formats it keeps writing. */
export interface FormatPlan {
  readonly phase: FormatPhase;
  /** CRDT kind key → the format written while `mixed` (empty when `switched`). */
  readonly pinned: Readonly<Record<string, number>>;
}

/** The formats one plugin version writes, as its `register()` sees them ({@link fleetFormats}). */
export interface PluginFormats extends FormatPlan {
  readonly plugin: string;
  readonly version: string;
  /**
   * The format to write for the CRDT kind `kindKey`, whose newest format (in this version) is
   * `newest`: the old version's format while `mixed` and the kind is pinned, else `newest`.
   */
  writeFormat(kindKey: string, newest: number): number;
  /**
   * The provider to register for a CRDT kind: `newest` itself, or while `mixed`
   * `pinFormat(newest, writing(format))` — it writes the old version's format and reads every
   * format `newest` reads. `writing(format)` makes the kind's provider writing `format`, e.g.
   * `(format) => gCounter({ format })`.
   */
  crdtKind<Op, Value>(
    newest: CrdtKindProvider<Op, Value>,
    writing: (format: number) => CrdtKindProvider<Op, Value>,
  ): CrdtKindProvider<Op, Value>;
}

const SWITCHED: FormatPlan = Object.freeze({ phase: 'switched', pinned: Object.freeze({}) });

/**
 * The host service (token {@link FLEET_FORMATS}) that tells each plugin version which persisted
 * formats to write: a snapshot of the `format_phases` rows. A version without a row (no rollout
 * under way, or a plugin the fleet never rolled) writes its newest formats. The fleet agent calls
 * {@link FleetFormats.refresh} before every reload, so the format switch is a reload of the same
 * artifact after its row flipped to `switched`.
 *
 * ```ts
 * const formats = await FleetFormats.load(client);
 * const host = createPluginHost({ services: { [FLEET_FORMATS]: formats } });
 * ```
 */
export class FleetFormats {
  #rows: ReadonlyMap<string, FormatPhaseRow>;

  /** A snapshot of `rows` (several of one plugin version: the last counts). */
  constructor(rows: Iterable<FormatPhaseRow> = []) {
    this.#rows = index(rows);
  }

  /** A snapshot of the rows in PostgreSQL (see {@link FleetFormats.refresh}). */
  static async load(client: Queryable, options?: FormatSchemaOptions): Promise<FleetFormats> {
    const formats = new FleetFormats();
    await formats.refresh(client, options);
    return formats;
  }

  /**
   * Reads the rows again and replaces the snapshot once the read succeeded (a failed read,
   * `IO_FAILED` or `CORRUPT_INPUT`, leaves the previous snapshot).
   */
  async refresh(client: Queryable, options?: FormatSchemaOptions): Promise<void> {
    this.#rows = index(await listFormatPhases(client, options));
  }

  /** The rows of the snapshot. */
  rows(): FormatPhaseRow[] {
    return [...this.#rows.values()];
  }

  /** The plan of one plugin version: its row's phase and pinned formats, or `switched` without a row. */
  planOf(plugin: string, version: string): FormatPlan {
    const row = this.#rows.get(keyOf(checkName(plugin, 'plugin', 'planOf'), checkName(version, 'version', 'planOf')));
    if (row === undefined || row.phase === 'switched') return SWITCHED;
    return Object.freeze({ phase: row.phase, pinned: row.pinned });
  }

  /** The formats of one plugin version, bound to it (what {@link fleetFormats} returns). */
  forPlugin(plugin: { readonly name: string; readonly version: string }): PluginFormats {
    const given: unknown = plugin; // from a plugin's JavaScript too
    if (typeof given !== 'object' || given === null)
      throw invalidFormatArgument(`forPlugin needs the plugin's { name, version }, not ${describeValue(plugin)}`);
    return pluginFormats(plugin.name, plugin.version, this.planOf(plugin.name, plugin.version));
  }
}

/**
 * For a plugin's `register()`: the formats its version writes, from the host service
 * {@link FLEET_FORMATS} when the host has one, else phase `switched` (a host outside any fleet:
 * newest formats). Something else registered under the token is `INVALID_ARGUMENT`.
 *
 * ```ts
 * register(r) {
 *   const formats = fleetFormats(r);
 *   r.crdtKind(formats.crdtKind(gCounter({ format: 2 }), (format) => gCounter({ format: format as 1 | 2 })));
 * }
 * ```
 *
 * A plugin that would rather not import `@baton/fleet` does the same by hand:
 * `r.scope.isRegistered('baton.fleet.formats', true) ? r.scope.resolve('baton.fleet.formats').forPlugin(r.plugin) : …`.
 */
export function fleetFormats(registrar: Pick<Registrar, 'plugin' | 'scope'>): PluginFormats {
  const { plugin, scope } = registrar;
  if (!scope.isRegistered(FLEET_FORMATS, true)) return pluginFormats(plugin.name, plugin.version, SWITCHED);
  const service: unknown = scope.resolve(FLEET_FORMATS);
  if (typeof (service as Partial<FleetFormats> | null)?.forPlugin !== 'function')
    throw invalidFormatArgument(
      `the host service '${FLEET_FORMATS}' must be a FleetFormats (with forPlugin), not ${describeValue(service)}`,
      plugin.name,
    );
  return (service as FleetFormats).forPlugin(plugin);
}

function pluginFormats(plugin: string, version: string, plan: FormatPlan): PluginFormats {
  const writeFormat = (kindKey: string, newest: number): number => {
    if (typeof kindKey !== 'string' || kindKey === '')
      throw invalidFormatArgument(`writeFormat: the kind key must be a non-empty string`, plugin);
    if (!isFormatNumber(newest))
      throw invalidFormatArgument(
        `writeFormat('${kindKey}'): newest must be a format version (a positive integer)`,
        plugin,
      );
    return plan.phase === 'mixed' ? (plan.pinned[kindKey] ?? newest) : newest;
  };
  return Object.freeze({
    plugin,
    version,
    phase: plan.phase,
    pinned: plan.pinned,
    writeFormat,
    crdtKind<Op, Value>(
      newest: CrdtKindProvider<Op, Value>,
      writing: (format: number) => CrdtKindProvider<Op, Value>,
    ): CrdtKindProvider<Op, Value> {
      const latest: unknown = (newest as Partial<CrdtKindProvider> | null)?.formatVersion;
      if (!isFormatNumber(latest) || typeof writing !== 'function')
        throw invalidFormatArgument(
          `crdtKind: needs the newest provider (with its formatVersion) and a function making the provider of a format`,
          plugin,
        );
      const format = writeFormat(newest.kind, latest);
      if (format === latest) return newest;
      const pinned = writing(format);
      if (pinned.formatVersion !== format)
        throw invalidFormatArgument(
          `crdtKind('${newest.kind}'): writing(${format}) made a provider of format ${String(pinned.formatVersion)}; phase mixed of ${plugin} ${version} writes format ${format}`,
          plugin,
        );
      return pinFormat(newest, pinned);
    },
  });
}

function keyOf(plugin: string, version: string): string {
  return `${plugin}\u0000${version}`;
}

function index(rows: Iterable<FormatPhaseRow>): ReadonlyMap<string, FormatPhaseRow> {
  const given: unknown = rows; // from JavaScript callers too
  if (typeof (given as Partial<Iterable<unknown>> | null | undefined)?.[Symbol.iterator] !== 'function')
    throw invalidFormatArgument(`FleetFormats needs an iterable of format phase rows, not ${describeValue(given)}`);
  const map = new Map<string, FormatPhaseRow>();
  for (const row of rows) {
    const problem = rowProblem(row);
    if (problem !== undefined) throw invalidFormatArgument(`FleetFormats: a row is not a format phase (${problem})`);
    map.set(keyOf(row.plugin, row.version), row);
  }
  return map;
}

function rowProblem(row: unknown): string | undefined {
  const r = row as Partial<FormatPhaseRow> | null;
  if (typeof r !== 'object' || r === null) return describeValue(row);
  if (typeof r.plugin !== 'string' || typeof r.version !== 'string') return 'plugin and version must be strings';
  if (!formatPhases.includes(r.phase as FormatPhase)) return `phase ${describeValue(r.phase)}`;
  return pinnedProblem(r.pinned);
}
