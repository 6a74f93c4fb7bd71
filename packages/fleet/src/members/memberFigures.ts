import { isReloadError } from '@baton/core';
import type { PluginHost } from '@baton/core';
import type { MemberFigures } from '../store/rows.js';

/** The figures an engine adds to its host's (its clients' failed calls; any figure it knows better). */
export type FiguresSource = () => Partial<MemberFigures> | Promise<Partial<MemberFigures>>;

/** What a member reports: the plugin version it serves and its figures. */
export interface MemberReport {
  readonly version: string | null;
  readonly figures: MemberFigures;
}

const ZERO: MemberFigures = { calls: 0, failedCalls: 0, refusals: 0, lastPauseMs: 0, cdcLagMs: 0 };

/**
 * Reads what `host` knows of `plugin`: the serving version, calls on it, refused reloads, the last
 * pause, and the largest CDC lag of its streams (what was delivered past the last checkpoint, or
 * past the source's head when a source is attached). A plugin not loaded reports no version and
 * zeros.
 */
export function hostReport(host: PluginHost | undefined, plugin: string): MemberReport {
  if (host === undefined) return { version: null, figures: ZERO };
  const summary = host.plugins().find((p) => p.name === plugin);
  if (summary === undefined) return { version: null, figures: ZERO };
  let stats;
  try {
    stats = host.stats(plugin);
  } catch (error) {
    if (isReloadError(error) && error.code === 'NOT_LOADED') return { version: null, figures: ZERO };
    throw error;
  }
  let cdcLagMs = 0;
  for (const stream of host.cdcStreams()) {
    if (stream.plugin.name !== plugin) continue;
    cdcLagMs = Math.max(cdcLagMs, stream.lag?.ms ?? 0, stream.sourceLag?.delivered?.ms ?? 0);
  }
  return {
    version: summary.version,
    figures: {
      calls: stats.calls,
      failedCalls: 0,
      refusals: stats.reloadsFailed,
      lastPauseMs: stats.lastPauseMs,
      cdcLagMs: Math.round(cdcLagMs),
    },
  };
}

/** `base` with the finite, non-negative figures of `extra` in place of its own. */
export function mergeFigures(base: MemberFigures, extra: Partial<MemberFigures> | undefined): MemberFigures {
  if (extra === undefined) return base;
  const merged: Record<keyof MemberFigures, number> = { ...base };
  for (const name of Object.keys(ZERO) as (keyof MemberFigures)[]) {
    const value = extra[name];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) merged[name] = value;
  }
  return merged;
}
