import type { ReloadPhase } from '../errors/codes.js';
import { checkFlag, checkFunction, checkOptionKeys, checkOverrides, checkSignal } from './checkSettings.js';
import type { SettingName } from './settingSpecs.js';

/** The numeric settings a reload may override, and its other options. */
const RELOAD_NUMBERS = [
  'drainTimeoutMs',
  'stepTimeoutMs',
  'prepareTimeoutMs',
  'compatTimeoutMs',
  'registerTimeoutMs',
  'concurrency',
] as const satisfies readonly SettingName[];
const RELOAD_KEYS = [...RELOAD_NUMBERS, 'signal', 'samples', 'allowDowngrade', 'allowSameVersion'];

const LOAD_NUMBERS = ['registerTimeoutMs'] as const satisfies readonly SettingName[];
const UNLOAD_NUMBERS = ['drainTimeoutMs'] as const satisfies readonly SettingName[];

/**
 * Checks the options of one host operation before anything happens: only known keys, numbers in
 * the ranges of `settingSpecs`, booleans and an AbortSignal where those are expected. Returns a frozen
 * copy (each option read once): use it, not the caller's object. Throws `INVALID_ARGUMENT` in `phase`.
 */
export function checkOperationOptions<O extends object>(
  operation: 'reload' | 'load' | 'unload',
  options: O | undefined,
): Readonly<O> {
  const phase: ReloadPhase = operation === 'reload' ? 'validate' : operation;
  const numbers: readonly SettingName[] =
    operation === 'reload' ? RELOAD_NUMBERS : operation === 'load' ? LOAD_NUMBERS : UNLOAD_NUMBERS;
  const keys = operation === 'reload' ? RELOAD_KEYS : [...numbers, 'signal'];
  checkOptionKeys(options, keys, `the ${operation} options`, phase);
  if (options === undefined) return Object.freeze({}) as Readonly<O>;
  // Read every option once: what is checked is what is used (a getter cannot change it afterwards).
  const record = Object.freeze({ ...options }) as Readonly<Record<string, unknown>>;
  checkOverrides(record, numbers, phase);
  checkSignal(record['signal'], phase);
  if (operation === 'reload') {
    checkFlag('allowDowngrade', record['allowDowngrade'], phase);
    checkFlag('allowSameVersion', record['allowSameVersion'], phase);
    checkFunction('samples', record['samples'], phase);
  }
  return record as Readonly<O>;
}
