/**
 * The one table of Baton's numeric settings: each host option, reload option and dispatcher option
 * that is a number is described here once — its default, its range and whether it must be an
 * integer — and checked by {@link checkSetting} wherever it enters (host construction, a reload's
 * overrides, a load's or unload's options, a standalone dispatcher).
 */

/** Longest delay Node's timers honour (2^31 − 1 ms, about 24.8 days); a longer one would fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** How one numeric setting is checked. */
export interface SettingSpec {
  /** `ms`: a finite duration in milliseconds; `count`: a whole number. */
  readonly unit: 'ms' | 'count';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  /** What the setting controls (rendered into error messages and docs). */
  readonly meaning: string;
}

const ms = (fallback: number, meaning: string): SettingSpec => ({
  unit: 'ms',
  default: fallback,
  min: 1,
  max: MAX_TIMER_MS,
  meaning,
});

/**
 * Every numeric setting with its default and range. `PluginHostOptions` takes all of them;
 * `ReloadOptions`, `LoadOptions`, `UnloadOptions` and `ReloadDispatcherOptions` override some.
 */
export const settingSpecs = {
  queueLimit: {
    unit: 'count',
    default: 100_000,
    min: 1,
    max: 100_000_000,
    meaning: "calls that may wait at one plugin's gate during a pause",
  },
  drainTimeoutMs: ms(5_000, 'milliseconds in-flight calls may take to drain before a reload gives up'),
  stepTimeoutMs: ms(30_000, 'milliseconds each provider call of a reload may take'),
  prepareTimeoutMs: ms(
    300_000,
    'milliseconds each provider call that prepares a handoff before the pause (a snapshot, an open) may take',
  ),
  rollbackTimeoutMs: ms(30_000, 'milliseconds each undo step of a rollback may take'),
  compatTimeoutMs: ms(30_000, 'milliseconds one compat check may take'),
  registerTimeoutMs: ms(30_000, 'milliseconds register() may take'),
  concurrency: { unit: 'count', default: 64, min: 1, max: 65_536, meaning: 'handoffs running at once per plugin' },
  maxStates: { unit: 'count', default: 256, min: 1, max: 1_000_000, meaning: 'states one compat check visits at most' },
} as const satisfies Record<string, SettingSpec>;

/** The name of a numeric setting. */
export type SettingName = keyof typeof settingSpecs;

/** Every numeric setting, resolved. */
export type NumericSettings = { readonly [K in SettingName]: number };

/** The defaults of every numeric setting. */
export const defaultSettings: NumericSettings = Object.freeze(
  Object.fromEntries(Object.entries(settingSpecs).map(([name, spec]) => [name, spec.default])) as NumericSettings,
);
