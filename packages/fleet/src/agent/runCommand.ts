import type { PluginDefinition, PluginHost, ReloadOptions, ReloadResult } from '@baton/core';
import { toFleetError } from '../store/fleetErrors.js';
import type { ArtifactRef, CommandResult, CommandRow, HandoffSummary, MemberFigures } from '../store/rows.js';

/** What an {@link ArtifactLoader} gets besides the artifact: the command, and the agent's signal. */
export interface LoadContext {
  readonly command: CommandRow;
  /** Aborted when the agent closes: stop loading. */
  readonly signal: AbortSignal;
}

/**
 * Loads the plugin version an artifact names, e.g. `(a) => loadPluginVersion(a.location, { trustedKeys,
 * runtimeDirectory }).then((v) => v.definition)`: the artifact is verified again on the member itself.
 */
export type ArtifactLoader = (artifact: ArtifactRef, context: LoadContext) => Promise<PluginDefinition>;

/** What a `format` command's handler gets (see `FleetAgentOptions.format`). */
export interface FormatContext {
  readonly command: CommandRow;
  readonly host: PluginHost;
  /** The member's artifact loader. */
  readonly loadArtifact: ArtifactLoader;
  /** Aborted when the agent closes. */
  readonly signal: AbortSignal;
}

/** Runs a `format` command: switches the member's format phase and reloads (default: a reload of the same artifact). */
export type FormatHandler = (context: FormatContext) => Promise<ReloadResult | undefined>;

/** What running one command needs. */
export interface RunContext {
  readonly host: PluginHost;
  readonly plugin: string;
  readonly loadArtifact: ArtifactLoader;
  readonly format: FormatHandler | undefined;
  readonly reloadOptions: Omit<ReloadOptions, 'signal' | 'allowDowngrade' | 'allowSameVersion'>;
  readonly signal: AbortSignal;
  /** The member's figures when it claimed the command (undefined when they could not be read). */
  readonly before: MemberFigures | undefined;
}

function serving(host: PluginHost, plugin: string): string | undefined {
  return host.plugins().find((p) => p.name === plugin)?.version;
}

function handoffSummary(result: ReloadResult): Record<string, HandoffSummary> {
  const byKind: Record<string, { count: number; ms: number }> = {};
  for (const { kind, ms } of result.handoffs) {
    const entry = (byKind[kind] ??= { count: 0, ms: 0 });
    entry.count += 1;
    entry.ms += ms;
  }
  return byKind;
}

async function reloadTo(command: CommandRow, context: RunContext): Promise<ReloadResult> {
  const definition = await context.loadArtifact(command.artifact, { command, signal: context.signal });
  return context.host.reload(definition, {
    ...context.reloadOptions,
    signal: context.signal,
    ...(command.action === 'rollback' ? { allowDowngrade: true } : {}),
    ...(command.action === 'format' ? { allowSameVersion: true } : {}),
  });
}

/**
 * Runs one claimed command on the member's host: `reload` and `rollback` reload the plugin to the
 * command's artifact (a rollback may go to an older version); a member that already serves the
 * artifact's version does nothing (`skipped`). `format` runs the format handler (default: a reload
 * of the same artifact). Never throws: a failure is the `failed` result with the `ReloadError`'s
 * code, phase, step and message.
 */
export async function runCommand(
  command: CommandRow,
  context: RunContext,
): Promise<CommandResult & { readonly outcome: 'done' | 'failed' }> {
  const { host, plugin } = context;
  const before = context.before === undefined ? {} : { before: context.before };
  try {
    let reloaded: ReloadResult | undefined;
    if (command.action === 'format') {
      reloaded =
        context.format === undefined
          ? await reloadTo(command, context)
          : await context.format({ command, host, loadArtifact: context.loadArtifact, signal: context.signal });
    } else if (serving(host, plugin) === command.artifact.version) {
      return { outcome: 'done', version: command.artifact.version, skipped: 'already serving this version', ...before };
    } else {
      reloaded = await reloadTo(command, context);
    }
    return {
      outcome: 'done',
      version: serving(host, plugin) ?? command.artifact.version,
      ...before,
      ...(reloaded === undefined ? {} : { timings: reloaded.timings, handoffs: handoffSummary(reloaded) }),
    };
  } catch (thrown) {
    const error = toFleetError(
      thrown,
      'command',
      `member ${command.memberId}: ${command.action} to ${command.artifact.version}`,
      'PROVIDER_FAILED',
    );
    return {
      outcome: 'failed',
      ...before,
      error: {
        code: error.code,
        phase: error.phase ?? null,
        step: error.step ?? null,
        message: error.message,
        stillServing: serving(host, plugin) ?? null,
      },
    };
  }
}
