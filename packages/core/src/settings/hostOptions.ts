import { ReloadError } from '../errors/reloadError.js';
import { checkFlag, checkFunction, checkOptionKeys, resolveSettings } from './checkSettings.js';
import { settingSpecs } from './settingSpecs.js';
import type { NumericSettings } from './settingSpecs.js';

const HOST_OPTION_KEYS = [
  ...Object.keys(settingSpecs),
  'disciplines',
  'container',
  'samples',
  'runJobs',
  'journal',
  'logger',
  'services',
];

/** The options of a plugin host, read once and checked: what the host is built from. */
export interface CheckedHostOptions<O> {
  readonly options: Readonly<O>;
  readonly settings: NumericSettings;
}

/**
 * Checks a plugin host's options once: known keys only, every number against `settingSpecs`,
 * `disciplines` an array, `container` a tsyringe container (it has `createChildContainer` and
 * `resolve`), `journal` something with `read` and `write`, `logger` false or something with `error`
 * and `warn`, `services` an object, `samples` a function, `runJobs` a boolean.
 * Returns a frozen copy (each option read once). Throws `INVALID_ARGUMENT` naming the option.
 */
export function checkHostOptions<O extends object>(options: O): CheckedHostOptions<O> {
  checkOptionKeys(options, HOST_OPTION_KEYS, 'the plugin host options');
  const copy = Object.freeze({ ...options }) as Readonly<Record<string, unknown>>;
  checkFlag('runJobs', copy['runJobs']);
  checkFunction('samples', copy['samples']);
  const disciplines = copy['disciplines'];
  if (disciplines !== undefined && !Array.isArray(disciplines)) invalid('disciplines must be an array of disciplines');
  hasMethods('container', copy['container'], ['createChildContainer', 'resolve'], 'a tsyringe DependencyContainer');
  hasMethods('journal', copy['journal'], ['read', 'write'], 'a ReloadJournal (e.g. fileReloadJournal(dir))');
  const services = copy['services'];
  if (services !== undefined && (typeof services !== 'object' || services === null || Array.isArray(services)))
    invalid("services must be a plain object of host services (token → value), e.g. { 'my.env': env }");
  if (copy['logger'] !== false)
    hasMethods('logger', copy['logger'], ['error', 'warn'], 'false or a logger (console, a pino logger)');
  return { options: copy as Readonly<O>, settings: resolveSettings(copy) };
}

function hasMethods(name: string, value: unknown, methods: readonly string[], what: string): void {
  if (value === undefined) return;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) invalid(`${name} must be ${what}, with ${methods.map((m) => `${m}()`).join(' and ')}`);
}

function invalid(message: string): never {
  throw new ReloadError({ code: 'INVALID_ARGUMENT', message });
}
