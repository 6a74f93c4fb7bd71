/**
 * Evaluates a verified plugin bundle outside Node's ES module map: its bytes are compiled as the
 * body of a function (`vm.compileFunction`, in the host's own context, so values cross no realm) and
 * called with `module`, `exports`, the shared-module `require` and the version's tracked timers and
 * `process` (see `PluginRuntime`). Nothing global keeps the compiled code: once the version is
 * unreachable, its code, closures and module-level data are garbage collected (measured by
 * `npm run heap`; a `vm.Script` or a context per version is kept by Node, see the README).
 */
import { compileFunction } from 'node:vm';
import { ReloadError } from '../../errors/reloadError.js';
import type { PluginRuntime } from './pluginRuntime.js';
import { isRequireRefusal } from './sharedModules.js';

/** What one bundle evaluation needs. */
export interface BundleEvaluation {
  /** The plugin's name (errors name it). */
  readonly plugin: string;
  /** The verified bytes: exactly what is compiled. */
  readonly bytes: Uint8Array;
  /** The name its stack frames carry (and its source map is registered under). */
  readonly filename: string;
  readonly require: (specifier: string) => unknown;
  readonly runtime: PluginRuntime;
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Compiles and runs the bundle; returns its `module.exports`. */
export function evaluateBundle({ plugin, bytes, filename, require, runtime }: BundleEvaluation): unknown {
  let source: string;
  try {
    source = fatalUtf8.decode(bytes);
  } catch (error) {
    throw new ReloadError({
      code: 'VERIFICATION_FAILED',
      phase: 'verify',
      plugin,
      message: `the bundle of '${plugin}' is not UTF-8 text`,
      cause: error,
    });
  }
  const { names, values } = runtime.globals();
  let body: (...args: unknown[]) => unknown;
  try {
    body = compileFunction(source, ['exports', 'require', 'module', ...names], { filename }) as never;
  } catch (error) {
    throw new ReloadError({
      code: 'INVALID_PLUGIN',
      phase: 'load',
      plugin,
      message: `the bundle of '${plugin}' does not compile: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  const module = { exports: {} as unknown };
  try {
    body.call(module.exports, module.exports, require, module, ...values);
  } catch (error) {
    // The shared `require`'s refusal (an import the host does not share) keeps its code; a plugin's
    // own ReloadError does not (the host assigns codes).
    if (isRequireRefusal(error)) throw error;
    throw new ReloadError({
      code: 'INVALID_PLUGIN',
      phase: 'load',
      plugin,
      message: `the bundle of '${plugin}' threw while it was evaluated: ${error instanceof Error ? error.message : String(error)}`,
      cause: error,
    });
  }
  return module.exports;
}
