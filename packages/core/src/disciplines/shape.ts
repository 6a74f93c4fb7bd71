/** The members a contract requires of an untrusted object. */
export interface ShapeSpec {
  /** Non-empty string properties. */
  readonly strings?: readonly string[];
  /** Finite, non-negative number properties. */
  readonly numbers?: readonly string[];
  /** Required methods. */
  readonly methods?: readonly string[];
  /** Methods that may be absent but must be functions when present. */
  readonly optionalMethods?: readonly string[];
}

/** Lists what `value` lacks to fulfil `spec` (empty when nothing). Never throws, even on proxies. */
export function shapeProblems(value: unknown, spec: ShapeSpec): string[] {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
    return [`expected an object, got ${describeValue(value)}`];
  }
  const problems: string[] = [];
  const read = (key: string): unknown => {
    try {
      return (value as Record<string, unknown>)[key];
    } catch (error) {
      problems.push(`reading '${key}' threw: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  };
  for (const key of spec.strings ?? []) {
    const v = read(key);
    if (typeof v !== 'string' || v.length === 0)
      problems.push(`'${key}' must be a non-empty string (got ${describeValue(v)})`);
  }
  for (const key of spec.numbers ?? []) {
    const v = read(key);
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      problems.push(`'${key}' must be a finite number >= 0 (got ${describeValue(v)})`);
  }
  for (const key of spec.methods ?? []) {
    if (typeof read(key) !== 'function') problems.push(`'${key}()' is missing`);
  }
  for (const key of spec.optionalMethods ?? []) {
    const v = read(key);
    if (v !== undefined && typeof v !== 'function') problems.push(`'${key}' must be a function when present`);
  }
  return problems;
}

/** A check for {@link StepCallOptions.check}: `value` must have these methods. */
export function expectMethods(what: string, ...methods: string[]): (value: unknown) => string | undefined {
  return (value) => {
    const problems = shapeProblems(value, { methods });
    return problems.length === 0 ? undefined : `expected ${what}: ${problems.join('; ')}`;
  };
}

/** A check for {@link StepCallOptions.check}: `value` must be a Uint8Array. */
export function expectBytes(value: unknown): string | undefined {
  return value instanceof Uint8Array ? undefined : `expected a Uint8Array, got ${describeValue(value)}`;
}

/** A check for {@link StepCallOptions.check}: `value` must be a boolean. */
export function expectBoolean(value: unknown): string | undefined {
  return typeof value === 'boolean' ? undefined : `expected a boolean, got ${describeValue(value)}`;
}

/** A short, safe description of any value for error messages. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.byteLength})`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
    case 'bigint':
      return `${value}n`;
    case 'object':
      return Array.isArray(value) ? `array(${value.length})` : 'object';
    case 'symbol':
    case 'function':
      return typeof value;
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
  }
  return typeof value;
}
