import type {
  CallOptions,
  CdcOutputProvider,
  CdcStream,
  CrdtKindProvider,
  CrdtMark,
  CrdtState,
  IndexHandle,
  IndexKindProvider,
  IndexSnapshot,
  LogicalTypeProvider,
  MaybePromise,
  PluginDefinition,
  Registrar,
} from '@baton/core';
import type { FaultStep } from './faultPlan.js';
import type { FaultSwitch } from './faultSwitch.js';

type Methods<T> = { [K in keyof T]?: T[K] };

const TARGET = Symbol('the object a fault proxy wraps');

/**
 * A proxy of `target` whose listed methods are replaced; every other property is read from the
 * target (methods bound to it). The proxy's own target is a fresh object, so frozen providers can
 * be wrapped too.
 */
function override<T extends object>(target: T, methods: Methods<T>): T {
  return new Proxy(Object.create(null) as T, {
    get(_shell, prop) {
      if (prop === TARGET) return target;
      if (Object.hasOwn(methods, prop)) return methods[prop as keyof T];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    has: (_shell, prop) => Object.hasOwn(methods, prop) || Reflect.has(target, prop),
  });
}

/** The wrapped object behind a fault proxy (or `value` itself). */
function unwrap<T>(value: T): T {
  return (typeof value === 'object' && value !== null && (value as { [TARGET]?: T })[TARGET]) || value;
}

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** Wraps a value that may be a promise with `wrap`, leaving garbage (non-objects) alone. */
function mapResult<T>(result: MaybePromise<T>, wrap: (value: T) => T): MaybePromise<T> {
  if (isObject(result) && typeof (result as { then?: unknown }).then === 'function') {
    return Promise.resolve(result).then((value) => (isObject(value) ? wrap(value) : value));
  }
  return isObject(result) ? wrap(result as T) : result;
}

/**
 * A copy of `plugin` whose providers, and the resources they make, consult `faults` at every
 * step a reload runs (see {@link FaultStep}). Wrap every version a test loads; arm the switch
 * with a plan before each reload.
 */
export function withFaults(plugin: PluginDefinition, faults: FaultSwitch): PluginDefinition {
  const version = plugin.version;
  const step = <T>(name: FaultStep, call: () => T, kind?: string): T => faults.run(name, version, call, kind);

  const handle = (h: IndexHandle): IndexHandle =>
    override(h, {
      persist: (options) => step('persist', () => h.persist(options), 'indexKind'),
      // Only where the handle has the hook: a proxy must not invent one.
      ...(typeof h.snapshot === 'function'
        ? { snapshot: (options?: CallOptions) => step('snapshot', () => h.snapshot!(options), 'indexKind') }
        : {}),
    });
  const stream = (s: CdcStream): CdcStream =>
    override(s, {
      checkpoint: (options) => step('checkpoint', () => s.checkpoint(options), 'cdcOutput'),
      shutdown: (options) => step('shutdown', () => s.shutdown(options), 'cdcOutput'),
    });
  const mark = (m: CrdtMark): CrdtMark =>
    override(m, {
      delta: () => step('delta', () => m.delta(), 'crdtKind'),
      ...(typeof m.changed === 'function' ? { changed: () => step('changed', () => m.changed!(), 'crdtKind') } : {}),
    });
  const state = (s: CrdtState): CrdtState =>
    override(s, {
      persist: () => step('persist', () => s.persist(), 'crdtKind'),
      merge: (other) => s.merge(unwrap(other)),
      ...(typeof s.mark === 'function'
        ? {
            mark: () =>
              mapResult(
                step('mark', () => s.mark!(), 'crdtKind'),
                mark,
              ),
          }
        : {}),
      ...(typeof s.mergeDelta === 'function'
        ? { mergeDelta: (delta: Uint8Array) => step('mergeDelta', () => s.mergeDelta!(delta), 'crdtKind') }
        : {}),
    });

  const wrap = (kind: string, provider: unknown): unknown => {
    switch (kind) {
      case 'indexKind': {
        const p = provider as IndexKindProvider;
        return override(p, {
          build: (source, options) => mapResult(p.build(source, options), handle),
          ...(typeof p.adopt === 'function'
            ? {
                adopt: (snapshot: IndexSnapshot, options?: CallOptions) =>
                  mapResult(
                    step('adopt', () => p.adopt!(snapshot, options), 'indexKind'),
                    (adopted) => (adopted === undefined ? adopted : handle(adopted)),
                  ),
              }
            : {}),
          open: (bytes, options) =>
            mapResult(
              step('open', () => p.open(bytes, options), 'indexKind'),
              handle,
            ),
        });
      }
      case 'cdcOutput': {
        const p = provider as CdcOutputProvider;
        return override(p, {
          start: (options) =>
            mapResult(
              step('start', () => p.start(options), 'cdcOutput'),
              stream,
            ),
        });
      }
      case 'crdtKind': {
        const p = provider as CrdtKindProvider;
        const check = p.schemaCompatCheck?.bind(p);
        return override(p, {
          empty: () => mapResult(p.empty(), state),
          fromPersisted: (bytes) =>
            mapResult(
              step('fromPersisted', () => p.fromPersisted(bytes), 'crdtKind'),
              state,
            ),
          ...(check
            ? { schemaCompatCheck: (old: CrdtKindProvider) => step('compat', () => check(old), 'crdtKind') }
            : {}),
        });
      }
      case 'logicalType': {
        const p = provider as LogicalTypeProvider;
        const check = p.compatCheck?.bind(p);
        return check ? override(p, { compatCheck: (old) => step('compat', () => check(old), 'logicalType') }) : p;
      }
      default:
        return provider;
    }
  };

  return {
    name: plugin.name,
    version,
    ...(plugin.dependsOn ? { dependsOn: plugin.dependsOn } : {}),
    register: (registrar: Registrar) =>
      step('register', () => {
        const faulty: Registrar = override(registrar, {
          add(kind, provider) {
            registrar.add(kind, wrap(kind, provider) as never);
            return faulty;
          },
          scalarFunction: (p) => faulty.add('scalarFunction', p),
          aggregateFunction: (p) => faulty.add('aggregateFunction', p as never),
          storageBackend: (p) => faulty.add('storageBackend', p),
          indexKind: (p) => faulty.add('indexKind', p),
          backgroundJob: (p) => faulty.add('backgroundJob', p),
          cdcOutput: (p) => faulty.add('cdcOutput', p),
          crdtKind: (p) => faulty.add('crdtKind', p as never),
          logicalType: (p) => faulty.add('logicalType', p),
        });
        return plugin.register(faulty);
      }),
  };
}
