import { isArrowRecordBatch, isArrowTable } from 'apache-arrow';
import { ReloadError } from '../errors/reloadError.js';
import { checkOptionKeys } from './checkSettings.js';

/** What one option of an open method must be. */
type FieldType = 'string' | 'bytes' | 'lsn' | 'signal' | 'function' | 'record' | 'arrow';

/** The fields of one open method: the required ones, and the optional ones. */
interface OpenShape {
  readonly required: Readonly<Record<string, FieldType>>;
  readonly optional: Readonly<Record<string, FieldType>>;
}

const base = { name: 'string' } as const;

/** The options each open method of the host takes. */
const shapes = {
  openIndexBuild: {
    required: { ...base, key: 'string', source: 'arrow', column: 'string' },
    optional: { params: 'record', signal: 'signal' },
  },
  openIndexBytes: { required: { ...base, key: 'string', bytes: 'bytes' }, optional: { signal: 'signal' } },
  startCdc: { required: { ...base, key: 'string' }, optional: { fromLsn: 'lsn', signal: 'signal' } },
  openCrdt: { required: { ...base, key: 'string' }, optional: { bytes: 'bytes', signal: 'signal' } },
  openStorage: {
    required: { ...base, key: 'string', location: 'string' },
    optional: { signal: 'signal' },
  },
  openResource: {
    required: { ...base, kind: 'string', key: 'string' },
    optional: { make: 'function', request: 'record', params: 'function', signal: 'signal' },
  },
} as const satisfies Record<string, OpenShape>;

/** One of the host's open methods. */
export type OpenMethod = 'openIndex' | 'startCdc' | 'openCrdt' | 'openStorage' | 'openResource';

/**
 * Checks the options of an open method once, before anything is opened: an object with exactly
 * the method's keys (a misspelt `byts` would otherwise open an empty state), each of its type
 * (`fromLsn` a bigint ≥ 0, `bytes` a Uint8Array, `signal` an AbortSignal, …). Returns a frozen copy
 * (each option read once). Throws `INVALID_ARGUMENT` naming the method and the option.
 */
export function checkOpenOptions<O extends object>(method: OpenMethod, options: O): Readonly<O> {
  const what = `the options of ${method}()`;
  if (typeof options !== 'object' || options === null) invalid(`${what} must be an object`);
  const copy = Object.freeze({ ...options }) as Readonly<Record<string, unknown>>;
  const shape: OpenShape =
    method === 'openIndex' ? ('bytes' in copy ? shapes.openIndexBytes : shapes.openIndexBuild) : shapes[method];
  checkOptionKeys(copy, [...Object.keys(shape.required), ...Object.keys(shape.optional)], what, 'call');
  for (const [key, type] of Object.entries(shape.required)) {
    if (copy[key] === undefined) invalid(`${what}: '${key}' is required (${describe(type)})`);
    check(what, key, type, copy[key]);
  }
  for (const [key, type] of Object.entries(shape.optional))
    if (copy[key] !== undefined) check(what, key, type, copy[key]);
  return copy as Readonly<O>;
}

function check(what: string, key: string, type: FieldType, value: unknown): void {
  const ok =
    type === 'string'
      ? typeof value === 'string' && value.length > 0
      : type === 'bytes'
        ? value instanceof Uint8Array
        : type === 'lsn'
          ? typeof value === 'bigint' && value >= 0n
          : type === 'signal'
            ? value instanceof AbortSignal
            : type === 'function'
              ? typeof value === 'function'
              : type === 'arrow'
                ? isArrowTable(value) || isArrowRecordBatch(value)
                : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!ok) invalid(`${what}: '${key}' must be ${describe(type)}`);
}

function describe(type: FieldType): string {
  switch (type) {
    case 'string':
      return 'a non-empty string';
    case 'bytes':
      return 'a Uint8Array';
    case 'lsn':
      return 'an LSN (a bigint >= 0)';
    case 'signal':
      return 'an AbortSignal';
    case 'function':
      return 'a function';
    case 'arrow':
      return 'an Arrow Table or RecordBatch';
    case 'record':
      return 'a plain object';
  }
}

function invalid(message: string): never {
  throw new ReloadError({ code: 'INVALID_ARGUMENT', phase: 'call', message });
}
