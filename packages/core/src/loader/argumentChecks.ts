import { KeyObject } from 'node:crypto';
import type { ReloadPhase } from '../errors/codes.js';
import { ReloadError } from '../errors/reloadError.js';
import { describeValue } from '../disciplines/shape.js';

/**
 * Argument checks of the loader's and the CLI's exports: a wrong-typed argument is a `ReloadError`
 * (`INVALID_ARGUMENT`) naming the function, the argument and what it got, never a `TypeError` from
 * deep inside.
 */
export class ArgumentChecks {
  constructor(
    private readonly fn: string,
    private readonly phase: ReloadPhase,
  ) {}

  /** The `INVALID_ARGUMENT` error of this function: `${fn}: ${name} must be ${what}, not …`. */
  invalid(name: string, what: string, value: unknown): ReloadError {
    return new ReloadError({
      code: 'INVALID_ARGUMENT',
      phase: this.phase,
      message: `${this.fn}: ${name} must be ${what}, not ${describeValue(value)}`,
    });
  }

  /** A non-empty string. */
  string(name: string, value: unknown): string {
    if (typeof value === 'string' && value.length > 0 && !value.includes('\0')) return value;
    throw this.invalid(name, 'a non-empty string', value);
  }

  /** A Uint8Array (a Buffer is one). */
  bytes(name: string, value: unknown): Uint8Array {
    if (value instanceof Uint8Array) return value;
    throw this.invalid(name, 'a Uint8Array', value);
  }

  /** A plain object (not null, not an array). */
  object(name: string, value: unknown): Record<string, unknown> {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    throw this.invalid(name, 'an object', value);
  }

  /** An array of strings. */
  strings(name: string, value: unknown): readonly string[] {
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
    throw this.invalid(name, 'an array of strings', value);
  }

  /** An array of trusted keys, as `trustedKey()` makes them. */
  trustedKeys(name: string, value: unknown): void {
    const isKey = (key: unknown): boolean => {
      if (typeof key !== 'object' || key === null) return false;
      const { keyId, publicKey } = key as { keyId?: unknown; publicKey?: unknown };
      return typeof keyId === 'string' && publicKey instanceof KeyObject && publicKey.type === 'public';
    };
    if (Array.isArray(value) && value.every(isKey)) return;
    throw this.invalid(name, 'an array of trusted keys (made by trustedKey(publicKeyPem))', value);
  }

  /** A manifest draft: name, version and entry strings, optional dependsOn names and { kind, key } surfaces. */
  draft(name: string, value: unknown): void {
    const d = this.object(name, value);
    for (const field of ['name', 'version', 'entry'] as const) this.string(`${name}.${field}`, d[field]);
    if (d['loader'] !== undefined && d['loader'] !== 'bundle')
      throw this.invalid(`${name}.loader`, '"bundle" or absent', d['loader']);
    if (d['dependsOn'] !== undefined) this.strings(`${name}.dependsOn`, d['dependsOn']);
    const surfaces = d['surfaces'];
    const isSurface = (s: unknown): boolean =>
      typeof s === 'object' &&
      s !== null &&
      typeof (s as { kind?: unknown }).kind === 'string' &&
      typeof (s as { key?: unknown }).key === 'string';
    if (surfaces !== undefined && !(Array.isArray(surfaces) && surfaces.every(isSurface)))
      throw this.invalid(`${name}.surfaces`, 'an array of { kind, key } strings', surfaces);
  }

  /** A verified plugin, as `verifyPluginDirectory` returns it. */
  verifiedPlugin(name: string, value: unknown): void {
    const v = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
    const manifest = v?.['manifest'] as Record<string, unknown> | undefined;
    const ok =
      v !== undefined &&
      typeof manifest === 'object' &&
      manifest !== null &&
      ['name', 'version', 'entry'].every((field) => typeof manifest[field] === 'string') &&
      typeof manifest['files'] === 'object' &&
      manifest['files'] !== null &&
      v['files'] instanceof Map &&
      typeof v['digest'] === 'string' &&
      /^[0-9a-f]{64}$/.test(v['digest']);
    if (!ok) throw this.invalid(name, 'a verified plugin (what verifyPluginDirectory returns)', value);
  }
}
