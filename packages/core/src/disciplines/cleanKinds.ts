import { isArrowDataType } from 'apache-arrow';
import type { BackgroundJobProvider } from '../surfaces/backgroundJob.js';
import type { AggregateFunctionProvider, ScalarFunctionProvider } from '../surfaces/functions.js';
import type { Storage, StorageBackendProvider } from '../surfaces/storage.js';
import type { KindDiscipline } from './discipline.js';
import { expectMethods, shapeProblems } from './shape.js';

/** A discipline whose mode is `clean`. */
export type CleanDiscipline<P, R = never> = KindDiscipline<P, R> & {
  readonly mode: 'clean';
  readonly pausesCallers: false;
};

/** Scalar functions: clean swap at commit, keyed by `name`. */
export const scalarFunctionDiscipline: CleanDiscipline<ScalarFunctionProvider> = {
  kind: 'scalarFunction',
  mode: 'clean',
  description: 'calls keep going to the old version until commit, then to the new one',
  pausesCallers: false,
  keyOf: (provider) => provider.name,
  validate: (provider) => [
    ...shapeProblems(provider, { strings: ['name'], methods: ['invoke'] }),
    ...(isArrowDataType((provider as Partial<ScalarFunctionProvider> | null)?.returnType)
      ? []
      : ["'returnType' must be an Arrow DataType"]),
  ],
};

/** Aggregate functions: clean swap at commit, keyed by `name`. */
export const aggregateFunctionDiscipline: CleanDiscipline<AggregateFunctionProvider> = {
  kind: 'aggregateFunction',
  mode: 'clean',
  description: 'an aggregation that started on the old version finishes there',
  pausesCallers: false,
  keyOf: (provider) => provider.name,
  validate: (provider) =>
    shapeProblems(provider, { strings: ['name'], methods: ['init', 'update', 'merge', 'finish'] }),
};

/** Background jobs: a running tick finishes on the old version, the next one runs on the new. */
export const backgroundJobDiscipline: CleanDiscipline<BackgroundJobProvider> = {
  kind: 'backgroundJob',
  mode: 'clean',
  description: 'a running tick finishes on the old version; the next tick runs on the new one',
  pausesCallers: false,
  keyOf: (provider) => provider.name,
  validate: (provider) => shapeProblems(provider, { strings: ['name'], numbers: ['intervalMs'], methods: ['tick'] }),
};

const storageCheck = expectMethods('a Storage', 'get', 'put', 'delete', 'keys', 'close');

/** Where a storage is opened. */
export interface StorageOpenRequest {
  readonly location: string;
}

/**
 * Storage backends: open storages are reopened at the same location by the new version while the
 * old one keeps serving (callers never pause); the old one is closed once its in-flight calls have
 * drained.
 */
export const storageBackendDiscipline: KindDiscipline<StorageBackendProvider, Storage, StorageOpenRequest> & {
  readonly mode: 'reopen';
  readonly pausesCallers: false;
} = {
  kind: 'storageBackend',
  mode: 'reopen',
  description: 'old storage serves until its in-flight calls drain; the new version opens the same location',
  pausesCallers: false,
  keyOf: (provider) => provider.name,
  validate: (provider) => shapeProblems(provider, { strings: ['name'], methods: ['open'] }),
  checkResource: storageCheck,
  async open(provider, { location }, context) {
    const signal = context.signal === undefined ? {} : { signal: context.signal };
    const resource = await context.call('open', () => provider.open({ location, ...signal }));
    return { resource, params: { location } };
  },
  async handoff({ old, next, params }, context) {
    const location = params['location'];
    if (typeof location !== 'string') throw context.fail('open', 'a storage handoff needs params.location (a string)');
    const storage = await context.call('open', (signal) => next.open({ location, signal }), {
      check: storageCheck,
      onLate: (late) => late.close(),
    });
    return {
      next: storage,
      detail: { location },
      release: async (ctx) => {
        await ctx.call('close', () => old.close());
      },
      undo: async (ctx) => {
        // The old one was never touched: it serves again even if closing the new one fails.
        await ctx.call('close', () => storage.close()).catch(() => undefined);
        return old;
      },
    };
  },
  async close(resource, context) {
    await context.call('close', () => resource.close());
  },
};
