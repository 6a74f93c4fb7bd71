/**
 * What a bundled plugin version's code holds on to outside itself: its timers and its listeners on
 * `process`. A bundle is evaluated with these functions in place of the global ones (see
 * `evaluateBundle`), so that when the version retires the host can report and clear whatever would
 * keep its code alive, or running, after it stopped serving.
 */

/** Where the host finds a plugin definition's runtime (a `Symbol.for` key: copies of Baton agree). */
export const PLUGIN_RUNTIME: unique symbol = Symbol.for('baton.pluginRuntime') as never;

/** One thing a retired version's code still held: cleared by the host, and reported. */
export interface RuntimeLeftover {
  /** `'timer'` (a `setTimeout`, `setInterval` or `setImmediate` not yet fired or cleared) or `'listener'` (on `process`). */
  readonly type: 'timer' | 'listener';
  /** What it is: `setInterval 1000 ms (tick)`, `process 'SIGTERM' listener (onStop)`. */
  readonly what: string;
}

/** The part of a runtime the host uses (recognised across copies of Baton by {@link PLUGIN_RUNTIME}). */
export interface PluginRuntimeHandle {
  /** Clears every timer and removes every listener still held, and says what they were. Idempotent. */
  release(): RuntimeLeftover[];
}

type TimerFn = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => unknown;
type Listener = (...args: unknown[]) => void;

const label = (fn: unknown): string => (typeof fn === 'function' && fn.name !== '' ? ` (${fn.name})` : '');

const LISTENER_ADDERS = new Set(['on', 'addListener', 'once', 'prependListener', 'prependOnceListener']);
const LISTENER_REMOVERS = new Set(['off', 'removeListener']);

/** The timers and listeners of one bundled version, and the globals its code sees in their place. */
export class PluginRuntime implements PluginRuntimeHandle {
  readonly #timers = new Map<unknown, { readonly what: string; readonly clear: (t: unknown) => void }>();
  readonly #listeners = new Map<Listener, { readonly event: string | symbol; readonly what: string }[]>();

  /** The names the bundle's code is evaluated with, and their values (same order). */
  globals(): { names: string[]; values: unknown[] } {
    const timer = (name: string, set: TimerFn, clear: (t: unknown) => void, once: boolean): TimerFn => {
      return (callback, ms, ...args) => {
        if (typeof callback !== 'function') return set(callback, ms, ...args); // Node's own error
        const handle = set(
          once
            ? (...a: unknown[]) => {
                this.#timers.delete(handle);
                callback(...a);
              }
            : callback,
          ms,
          ...args,
        );
        const delay = name === 'setImmediate' ? '' : ` ${Number(ms ?? 0)} ms`;
        this.#timers.set(handle, { what: `${name}${delay}${label(callback)}`, clear });
        return handle;
      };
    };
    const clearing =
      (clear: (t: unknown) => void) =>
      (handle: unknown): void => {
        this.#timers.delete(handle);
        clear(handle);
      };
    const values: Record<string, unknown> = {
      setTimeout: timer('setTimeout', setTimeout, clearTimeout as never, true),
      setInterval: timer('setInterval', setInterval, clearInterval as never, false),
      setImmediate: timer('setImmediate', setImmediate, clearImmediate as never, true),
      clearTimeout: clearing(clearTimeout as never),
      clearInterval: clearing(clearInterval as never),
      clearImmediate: clearing(clearImmediate as never),
      process: this.#process(),
    };
    return { names: Object.keys(values), values: Object.values(values) };
  }

  /** `process`, with its listener methods recording what the plugin adds and removes. */
  #process(): NodeJS.Process {
    const added = (event: string | symbol, listener: Listener, how: string): void => {
      this.#addListener(event, listener, how);
    };
    const removed = (event: string | symbol, listener: Listener): void => {
      this.#removeListener(event, listener);
    };
    return new Proxy(process, {
      get(target, prop, receiver) {
        const value: unknown = Reflect.get(target, prop, target);
        if (typeof prop !== 'string' || typeof value !== 'function') return value;
        if (LISTENER_ADDERS.has(prop))
          return (event: string | symbol, listener: Listener) => {
            (value as (e: string | symbol, l: Listener) => unknown).call(target, event, listener);
            added(event, listener, prop);
            return receiver as unknown;
          };
        if (LISTENER_REMOVERS.has(prop))
          return (event: string | symbol, listener: Listener) => {
            (value as (e: string | symbol, l: Listener) => unknown).call(target, event, listener);
            removed(event, listener);
            return receiver as unknown;
          };
        return value;
      },
    });
  }

  #addListener(event: string | symbol, listener: Listener, how: string): void {
    const what = `process.${how}(${typeof event === 'symbol' ? event.toString() : `'${event}'`})${label(listener)}`;
    const list = this.#listeners.get(listener) ?? [];
    list.push({ event, what });
    this.#listeners.set(listener, list);
  }

  #removeListener(event: string | symbol, listener: Listener): void {
    const list = this.#listeners.get(listener);
    const at = list?.findIndex((l) => l.event === event) ?? -1;
    if (at >= 0) list!.splice(at, 1);
    if (list?.length === 0) this.#listeners.delete(listener);
  }

  release(): RuntimeLeftover[] {
    const leftovers: RuntimeLeftover[] = [];
    for (const [handle, { what, clear }] of this.#timers) {
      clear(handle);
      leftovers.push({ type: 'timer', what });
    }
    this.#timers.clear();
    for (const [listener, list] of this.#listeners)
      for (const { event, what } of list) {
        // Still there (a `once` listener that fired, or one removed by other means, is not).
        if (process.listeners(event as never).includes(listener)) leftovers.push({ type: 'listener', what });
        process.removeListener(event, listener);
      }
    this.#listeners.clear();
    return leftovers;
  }
}

/** The runtime of a plugin definition loaded from a bundle, or undefined (an ES module, or hand-made). */
export function runtimeOf(definition: object): PluginRuntimeHandle | undefined {
  const runtime = (definition as Record<symbol, unknown>)[PLUGIN_RUNTIME];
  return typeof runtime === 'object' &&
    runtime !== null &&
    typeof (runtime as PluginRuntimeHandle).release === 'function'
    ? (runtime as PluginRuntimeHandle)
    : undefined;
}
