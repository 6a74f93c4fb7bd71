import { ReloadError } from '@baton/core';
import type { CompatContext, CrdtKindProvider, PluginDefinition } from '@baton/core';
import { MAX_TIMER_MS, checkCrdtCompat, withDeadline } from '@baton/core/kit';
import { checkConvergence } from './convergence.js';
import { FleetFormats } from './fleetFormats.js';
import { invalidFormatArgument } from './formatPhase.js';
import type { FormatPhaseRow } from './formatPhase.js';
import { failed, notApplicable, passed, requiredFormatChecks } from './formatReport.js';
import type { FleetFormatReport, FormatCheck, KindFormatReport } from './formatReport.js';
import { pluginCrdtKinds } from './pluginCrdtKinds.js';
import type { RegisterEnvironment } from './pluginCrdtKinds.js';

/** What {@link checkFleetFormats} compares. */
export interface FleetFormatCheckOptions extends RegisterEnvironment {
  /** The version the fleet runs (loaded by the caller, e.g. with `loadPluginVersion`). */
  readonly oldPlugin: PluginDefinition;
  /** The version to roll out (same plugin name). */
  readonly newPlugin: PluginDefinition;
  /**
   * The fleet's format phases as they stand (`FleetFormats.load(client)`): the old version registers
   * under its own row, as its processes do (an old version still `mixed` writes pinned formats).
   * Default: no rows (the old version writes its newest formats).
   */
  readonly formats?: FleetFormats;
  /** More operation sequences per CRDT kind key, applied on both versions. */
  readonly samples?: Readonly<Record<string, readonly (readonly unknown[])[]>>;
  /** States (or pairs of states) each check visits at most (default 256, as a host's `maxStates`). */
  readonly maxStates?: number;
  /** Milliseconds the checks of one CRDT kind may take (default 30 000); then that kind fails. */
  readonly checkTimeoutMs?: number;
}

const DEFAULT_MAX_STATES = 256;
const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/**
 * The fleet's compat pre-checks of a two-step format upgrade, before the first process moves. Runs
 * the `register()` of the old version (under `formats`), and of the new version in phase `mixed`
 * (pinned to the old version's formats of every CRDT kind whose format changes) and `switched`; then,
 * for every CRDT kind either registers, with the host's own compat check (`checkCrdtCompat`: the
 * providers' samples, `options.samples`, persist → migrate → read, values equal) and a sampler of
 * merged states:
 * 1. `newReadsOld`: old → new (mixed), and old → new (switched);
 * 2. `oldReadsMixed`: new (mixed) → old, and `converges`: states of both merge alike on both;
 *    `switchReads`: new (mixed) → new (switched) and back (the second step is a rolling reload);
 * 3. `rollbackAfterSwitch`: new (switched) → old, reported (a rollback after the switch is refused
 *    unless it holds).
 *
 * Returns the report (it throws only for bad arguments, a failing `register()` — with its own
 * code — or an abort of `signal`, `ABORTED`). {@link assertFleetFormats} turns a failed report into
 * `SCHEMA_INCOMPATIBLE`.
 */
export async function checkFleetFormats(options: FleetFormatCheckOptions): Promise<FleetFormatReport> {
  const { oldPlugin, newPlugin } = checkOptions(options);
  const plugin = newPlugin.name;
  const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
  const timeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const signal = options.signal ?? new AbortController().signal;
  const old = await pluginCrdtKinds(oldPlugin, options.formats ?? new FleetFormats(), options);
  const switched = await pluginCrdtKinds(newPlugin, new FleetFormats(), options);
  const pinned: Record<string, number> = {};
  for (const [key, provider] of old) {
    const format = provider.formatVersion;
    const next = switched.get(key)?.formatVersion;
    if (format !== undefined && next !== undefined && format !== next) pinned[key] = format;
  }
  const mixedRow: FormatPhaseRow = {
    plugin,
    version: newPlugin.version,
    fromVersion: oldPlugin.version,
    phase: 'mixed',
    pinned,
    rollbackSafe: false,
    createdAt: new Date(),
    switchedAt: null,
  };
  const mixed = await pluginCrdtKinds(newPlugin, new FleetFormats([mixedRow]), options);
  const keys = [...new Set([...old.keys(), ...mixed.keys(), ...switched.keys()])].sort();
  const kinds: KindFormatReport[] = [];
  for (const key of keys) {
    const sides = { old: old.get(key), mixed: mixed.get(key), switched: switched.get(key) };
    const context: CompatContext = {
      kind: 'crdtKind',
      key,
      signal,
      timeoutMs,
      samples: options.samples?.[key] ?? [],
      liveResources: [],
      maxStates,
    };
    kinds.push(await kindReport(key, sides, context, timeoutMs));
  }
  const problems: string[] = requiredProblems(kinds);
  for (const kind of kinds) {
    if (kind.rollbackAfterSwitch.status === 'incompatible')
      problems.push(
        `${kind.key} rollbackAfterSwitch (a rollback after the switch would be refused): ${kind.rollbackAfterSwitch.detail}`,
      );
  }
  return Object.freeze({
    plugin,
    fromVersion: oldPlugin.version,
    toVersion: newPlugin.version,
    kinds: Object.freeze(kinds),
    pinned: Object.freeze(pinned),
    ok: kinds.every((kind) => requiredFormatChecks.every((check) => kind[check].status !== 'incompatible')),
    rollbackSafe: kinds.every((kind) => kind.rollbackAfterSwitch.status !== 'incompatible'),
    problems: Object.freeze(problems),
  });
}

/**
 * Throws `SCHEMA_INCOMPATIBLE` (phase `compat`, the plugin, kind `crdtKind` and the key of the
 * first failing kind, the report in `details.report`) when `report.ok` is false; a report whose
 * only failures are `rollbackAfterSwitch` passes (the rollback guard uses it later).
 */
export function assertFleetFormats(report: FleetFormatReport): void {
  if (report.ok) return;
  const first = report.kinds.find((kind) =>
    requiredFormatChecks.some((check) => kind[check].status === 'incompatible'),
  );
  throw new ReloadError({
    code: 'SCHEMA_INCOMPATIBLE',
    phase: 'compat',
    step: 'preflight',
    plugin: report.plugin,
    kind: 'crdtKind',
    ...(first === undefined ? {} : { key: first.key }),
    message: `fleet format check of ${report.plugin} ${report.fromVersion} → ${report.toVersion} failed: ${requiredProblems(report.kinds).join('; ')}`,
    details: { report, fleetPhase: 'preflight' },
  });
}

/** One line per failed check that must pass before a rollout starts. */
function requiredProblems(kinds: readonly KindFormatReport[]): string[] {
  return kinds.flatMap((kind) =>
    requiredFormatChecks
      .filter((check) => kind[check].status === 'incompatible')
      .map((check) => `${kind.key} ${check}: ${kind[check].detail}`),
  );
}

interface Sides {
  readonly old: CrdtKindProvider | undefined;
  readonly mixed: CrdtKindProvider | undefined;
  readonly switched: CrdtKindProvider | undefined;
}

/** Every check of one kind, bounded by `timeoutMs` as a whole (a check that hangs fails its kind). */
async function kindReport(
  key: string,
  sides: Sides,
  context: CompatContext,
  timeoutMs: number,
): Promise<KindFormatReport> {
  const formats = {
    ...(sides.old?.formatVersion === undefined ? {} : { old: sides.old.formatVersion }),
    ...(sides.mixed?.formatVersion === undefined ? {} : { mixed: sides.mixed.formatVersion }),
    ...(sides.switched?.formatVersion === undefined ? {} : { switched: sides.switched.formatVersion }),
  };
  try {
    const checks = await withDeadline((deadline) => checksOf(sides, { ...context, signal: deadline }), {
      timeoutMs,
      signal: context.signal,
    });
    return Object.freeze({ key, formats, ...checks });
  } catch (error) {
    if (context.signal.aborted)
      throw new ReloadError({
        code: 'ABORTED',
        phase: 'compat',
        step: 'preflight',
        details: { fleetPhase: 'preflight' },
        kind: 'crdtKind',
        key,
        message: `fleet format check of '${key}' was aborted`,
        cause: error,
      });
    const reason = failed(
      `the checks of '${key}' ${(error as Error | undefined)?.name === 'TimeoutError' ? `did not finish within ${timeoutMs} ms` : `threw: ${error instanceof Error ? error.message : String(error)}`}`,
    );
    return Object.freeze({
      key,
      formats,
      newReadsOld: reason,
      oldReadsMixed: reason,
      converges: reason,
      switchReads: reason,
      rollbackAfterSwitch: reason,
    });
  }
}

async function checksOf(sides: Sides, context: CompatContext): Promise<Omit<KindFormatReport, 'key' | 'formats'>> {
  const { old, mixed, switched } = sides;
  if (mixed === undefined || switched === undefined) {
    const absent = notApplicable('the new version does not register this kind (its states stay with the old version)');
    return {
      newReadsOld: absent,
      oldReadsMixed: absent,
      converges: absent,
      switchReads: absent,
      rollbackAfterSwitch: absent,
    };
  }
  const switchReads = both(
    await compat('mixed → switched', mixed, switched, context),
    await compat('switched → mixed', switched, mixed, context),
  );
  if (old === undefined) {
    const added = notApplicable('the old version does not register this kind');
    return { newReadsOld: added, oldReadsMixed: added, converges: added, switchReads, rollbackAfterSwitch: added };
  }
  return {
    newReadsOld: both(
      await compat('old → new (mixed)', old, mixed, context),
      await compat('old → new (switched)', old, switched, context),
    ),
    oldReadsMixed: await compat('new (mixed) → old', mixed, old, context),
    converges: await checkConvergence(old, mixed, context),
    switchReads,
    rollbackAfterSwitch: await compat('new (switched) → old', switched, old, context),
  };
}

/** The host's compat check of states written by `writer` and read by `reader`. */
async function compat(
  label: string,
  writer: CrdtKindProvider,
  reader: CrdtKindProvider,
  context: CompatContext,
): Promise<FormatCheck> {
  const verdict = await checkCrdtCompat(writer, reader, context);
  const formats = `format ${String(writer.formatVersion)} → ${String(reader.formatVersion)}`;
  switch (verdict.type) {
    case 'compatible':
      return passed(`${label} (${formats}): compatible`);
    case 'compatibleAfterMigration':
      return passed(`${label} (${formats}): compatible after migration (${verdict.description})`);
    case 'incompatible':
      return failed(`${label} (${formats}): ${verdict.reason}`);
  }
}

/** Both checks passed: the first failure otherwise. */
function both(first: FormatCheck, second: FormatCheck): FormatCheck {
  if (first.status === 'incompatible') return first;
  if (second.status === 'incompatible') return second;
  return passed(`${first.detail}; ${second.detail}`);
}

function checkOptions(options: FleetFormatCheckOptions): { oldPlugin: PluginDefinition; newPlugin: PluginDefinition } {
  const given: unknown = options; // from JavaScript callers too
  if (typeof given !== 'object' || given === null)
    throw invalidFormatArgument('checkFleetFormats needs { oldPlugin, newPlugin }');
  const { oldPlugin, newPlugin, maxStates, checkTimeoutMs } = given as Partial<FleetFormatCheckOptions>;
  const isPlugin = (plugin: unknown): plugin is PluginDefinition =>
    typeof (plugin as Partial<PluginDefinition> | null | undefined)?.name === 'string';
  if (!isPlugin(oldPlugin)) throw invalidFormatArgument('checkFleetFormats: oldPlugin must be a plugin definition');
  if (!isPlugin(newPlugin)) throw invalidFormatArgument('checkFleetFormats: newPlugin must be a plugin definition');
  if (oldPlugin.name !== newPlugin.name)
    throw invalidFormatArgument(
      `checkFleetFormats: oldPlugin and newPlugin must be two versions of one plugin, not '${oldPlugin.name}' and '${newPlugin.name}'`,
      newPlugin.name,
    );
  if (maxStates !== undefined && (!Number.isSafeInteger(maxStates) || maxStates < 1))
    throw invalidFormatArgument('checkFleetFormats: maxStates must be a positive integer', newPlugin.name);
  if (
    checkTimeoutMs !== undefined &&
    (!Number.isSafeInteger(checkTimeoutMs) || checkTimeoutMs < 1 || checkTimeoutMs > MAX_TIMER_MS)
  )
    throw invalidFormatArgument(
      'checkFleetFormats: checkTimeoutMs must be a whole number of milliseconds in [1, 2^31 − 1]',
      newPlugin.name,
    );
  return { oldPlugin, newPlugin };
}
