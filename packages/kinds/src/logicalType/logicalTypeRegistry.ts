import { extensionContractDiff } from '@baton/core/kit';
import { util } from 'apache-arrow';
import type { DataType, Field } from 'apache-arrow';
import type { AnyLogicalType } from './defineLogicalType.js';
import { extensionMetadataOf, extensionNameOf } from './extensionField.js';
import { optionsObject, requireField } from './logicalArguments.js';
import { describeDataType, describeValue, invalidValue, logicalFieldError } from './logicalTypeErrors.js';
import type { LogicalFieldProblem } from './logicalTypeErrors.js';
import { readTypeMetadata } from './typeMetadata.js';

/** What to do with a field whose extension name no registered type has. */
export type UnknownExtensionPolicy =
  /** Throw `SURFACE_NOT_FOUND` (problem `unknownName`). */
  | 'error'
  /** Treat the field as its storage type, as Arrow advises readers that do not know the type. */
  | 'asStorage';

/** Options of {@link LogicalTypeRegistry.resolve} and `logicalFieldsOf`. */
export interface ResolveOptions {
  /** Default `'error'`. */
  readonly unknown?: UnknownExtensionPolicy;
}

/**
 * The logical types an engine knows, by `ARROW:extension:name`, and the resolution of Arrow fields
 * to them (arrow-js has no extension-type registry: fields come back from IPC as their storage type
 * with the two extension metadata keys).
 *
 * Resolution is version-aware. `ARROW:extension:metadata` is the type's metadata string; for
 * Baton-defined types it is a canonical JSON document holding `encodingVersion` and the type's
 * parameters (the canonical JSON of `{ encodingVersion, ...parameters }`). A field resolves to a registered type when its storage type
 * equals the type's (deep, children included), its metadata document names the same encoding
 * version, and the document is otherwise equal (compared canonically, so key order and whitespace
 * written by other Arrow implementations do not matter; "" equals `{}`).
 */
export class LogicalTypeRegistry {
  readonly #types = new Map<string, AnyLogicalType>();

  /** A registry holding `types` (an iterable of logical types; anything else is `INVALID_ARGUMENT`). */
  constructor(types: Iterable<AnyLogicalType> = []) {
    let list: unknown[];
    try {
      list = [...types];
    } catch (error) {
      throw invalidValue('', `a registry is made of an iterable of logical types (got ${describeValue(types)})`, error);
    }
    for (const type of list) this.register(type as AnyLogicalType);
  }

  /**
   * Registers `type` under its name. A type of the same name with the same extension contract is
   * replaced (a reloaded plugin's provider); one with another contract is refused (`INVALID_ARGUMENT`
   * naming the differences), since columns of the registered one would be misread.
   */
  register(type: AnyLogicalType): this {
    if (
      typeof type !== 'object' ||
      type === null ||
      typeof type.name !== 'string' ||
      typeof type.fromStorage !== 'function'
    ) {
      throw invalidValue('', `a registry holds logical types made by defineLogicalType (got ${describeValue(type)})`);
    }
    const existing = this.#types.get(type.name);
    if (existing !== undefined && existing !== type) {
      const diffs = extensionContractDiff(existing, type);
      if (diffs.length > 0) {
        throw invalidValue(
          type.name,
          `logical type '${type.name}' is already registered with another extension contract: ${diffs.join('; ')}`,
        );
      }
    }
    this.#types.set(type.name, type);
    return this;
  }

  /** Removes the type named `name`; returns whether one was registered. */
  unregister(name: string): boolean {
    return this.#types.delete(name);
  }

  /** The type registered under `name`. */
  get(name: string): AnyLogicalType | undefined {
    return this.#types.get(name);
  }

  /** Whether a type is registered under `name`. */
  has(name: string): boolean {
    return this.#types.has(name);
  }

  /** The registered names, in registration order. */
  names(): string[] {
    return [...this.#types.keys()];
  }

  /**
   * The logical type of `field`: `undefined` for a field without `ARROW:extension:name` (or an
   * unknown one under `unknown: 'asStorage'`). Throws a `ReloadError` whose `details.problem` says
   * why the field does not resolve (see `LogicalFieldProblem`); `path` (default: the field's name)
   * names the field in messages. A `field` that is not an Arrow Field, or wrong `options` or `path`,
   * is `INVALID_ARGUMENT`.
   */
  resolve(field: Field, options: ResolveOptions = {}, path?: string): AnyLogicalType | undefined {
    requireField(field, 'resolve()');
    const { unknown } = optionsObject(options, 'resolve()');
    if (unknown !== undefined && unknown !== 'error' && unknown !== 'asStorage')
      throw invalidValue(
        '',
        `resolve(): options.unknown must be 'error' or 'asStorage' (got ${describeValue(unknown)})`,
      );
    if (path !== undefined && typeof path !== 'string')
      throw invalidValue('', `resolve(): the path must be a string (got ${describeValue(path)})`);
    return resolveField(this, field, unknown, path ?? field.name);
  }
}

/**
 * {@link LogicalTypeRegistry.resolve} of checked arguments, through the registry's public methods
 * only (`logicalFieldsOf` calls it for each field of a schema).
 */
function resolveField(
  registry: LogicalTypeRegistry,
  field: Field,
  unknown: UnknownExtensionPolicy | undefined,
  path: string,
): AnyLogicalType | undefined {
  const name = extensionNameOf(field);
  if (name === undefined) return undefined;
  const fail = (problem: LogicalFieldProblem, message: string, details?: Readonly<Record<string, unknown>>): never => {
    throw logicalFieldError(problem, path, name, message, details);
  };
  const type = registry.get(name);
  if (type === undefined) {
    if (unknown === 'asStorage') return undefined;
    const known = registry.names();
    return fail(
      'unknownName',
      `extension type '${name}' is not registered (registered: ${known.length === 0 ? 'none' : known.join(', ')})`,
    );
  }
  const storageMatches = util.compareTypes(field.type as DataType, type.storageType);
  const storage = (): string =>
    `stored as ${describeDataType(field.type as DataType)}; '${name}' is stored as ${describeDataType(type.storageType)}`;
  const metadata = extensionMetadataOf(field);
  if (metadata === type.metadata && storageMatches) return type;

  const written = readTypeMetadata(metadata);
  const expected = readTypeMetadata(type.metadata);
  const writtenVersion = written?.encodingVersion;
  if (writtenVersion !== undefined && writtenVersion !== type.encodingVersion) {
    return fail(
      'encodingVersionMismatch',
      `written with encoding version ${writtenVersion} of '${name}', but the registered type reads encoding version ${type.encodingVersion}` +
        (storageMatches ? '' : ` (${storage()})`),
      { expected: type.encodingVersion, actual: writtenVersion },
    );
  }
  if (!storageMatches) {
    return fail('storageMismatch', storage(), {
      expected: describeDataType(type.storageType),
      actual: describeDataType(field.type as DataType),
    });
  }
  if (written !== undefined && expected !== undefined && written.canonical === expected.canonical) return type;
  return fail(
    'metadataMismatch',
    `extension metadata ${describeValue(metadata)} differs from the registered '${name}' metadata ${describeValue(type.metadata)}`,
    {
      expected: type.metadata,
      actual: metadata.length > 1024 ? `${metadata.slice(0, 1024)}…` : metadata,
    },
  );
}
