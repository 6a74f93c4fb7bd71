import type { ReloadPhase } from '../errors/codes.js';
import { ReloadError } from '../errors/reloadError.js';
import { settingSpecs } from './settingSpecs.js';
import type { NumericSettings, SettingName } from './settingSpecs.js';

/**
 * Checks one numeric setting against {@link settingSpecs}: a finite number in its range, a whole
 * number where the setting counts something. Returns it; throws `INVALID_ARGUMENT` naming the
 * setting, the value and the range otherwise.
 */
export function checkSetting(name: SettingName, value: unknown, phase?: ReloadPhase): number {
  const spec = settingSpecs[name];
  const problem =
    typeof value !== 'number' || !Number.isFinite(value)
      ? 'must be a finite number'
      : spec.unit === 'count' && !Number.isInteger(value)
        ? 'must be a whole number'
        : value < spec.min || value > spec.max
          ? `must lie in [${spec.min}, ${spec.max}]`
          : undefined;
  if (problem === undefined) return value as number;
  throw new ReloadError({
    code: 'INVALID_ARGUMENT',
    ...(phase === undefined ? {} : { phase }),
    message: `${name} (${spec.meaning}) ${problem}; got ${describe(value)}`,
  });
}

/** Checks each setting of `names` that `options` sets; the checked values, unset ones left out. */
export function checkOverrides<N extends SettingName>(
  options: Readonly<Partial<Record<N, unknown>>>,
  names: readonly N[],
  phase?: ReloadPhase,
): Partial<Record<N, number>> {
  const out: Partial<Record<N, number>> = {};
  for (const name of names) {
    const value = options[name];
    if (value !== undefined) out[name] = checkSetting(name, value, phase);
  }
  return out;
}

/** Every numeric setting: `options`' value where it sets one (checked), else the default. */
export function resolveSettings(options: Readonly<Partial<Record<SettingName, unknown>>>): NumericSettings {
  const out = {} as Record<SettingName, number>;
  for (const name of Object.keys(settingSpecs) as SettingName[]) {
    const value = options[name];
    out[name] = value === undefined ? settingSpecs[name].default : checkSetting(name, value);
  }
  return out;
}

/**
 * Refuses an options object that is not a plain object, or that has a key outside `allowed` (a
 * misspelt `drainTimeoutMS` would otherwise be silently ignored). `what` names the options in the
 * error.
 */
export function checkOptionKeys(options: unknown, allowed: readonly string[], what: string, phase?: ReloadPhase): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      ...(phase === undefined ? {} : { phase }),
      message: `${what} must be an object, not ${describe(options)}`,
    });
  }
  const unknown = Object.keys(options).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new ReloadError({
      code: 'INVALID_ARGUMENT',
      ...(phase === undefined ? {} : { phase }),
      message: `${what} has unknown option(s) ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${allowed.join(', ')})`,
    });
  }
}

/** Refuses `value` unless it is undefined or a boolean. */
export function checkFlag(name: string, value: unknown, phase?: ReloadPhase): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new ReloadError({
    code: 'INVALID_ARGUMENT',
    ...(phase === undefined ? {} : { phase }),
    message: `${name} must be true or false; got ${describe(value)}`,
  });
}

/** Refuses `value` unless it is undefined or a function. */
export function checkFunction(name: string, value: unknown, phase?: ReloadPhase): void {
  if (value === undefined || typeof value === 'function') return;
  throw new ReloadError({
    code: 'INVALID_ARGUMENT',
    ...(phase === undefined ? {} : { phase }),
    message: `${name} must be a function; got ${describe(value)}`,
  });
}

/** Refuses `value` unless it is undefined or an AbortSignal. */
export function checkSignal(value: unknown, phase?: ReloadPhase): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw new ReloadError({
    code: 'INVALID_ARGUMENT',
    ...(phase === undefined ? {} : { phase }),
    message: `signal must be an AbortSignal; got ${describe(value)}`,
  });
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  return typeof value === 'object' ? (Array.isArray(value) ? 'an array' : 'an object') : `a ${typeof value}`;
}
