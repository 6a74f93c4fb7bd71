import type { RecordBatch, Table } from 'apache-arrow';
import type { IndexHandle, IndexKindProvider } from '../surfaces/indexKind.js';
import type { KindDiscipline } from './discipline.js';
import { expectBytes, expectMethods, shapeProblems } from './shape.js';

const handleCheck = expectMethods('an IndexHandle', 'probe', 'persist', 'close');

/** How an index handle is made: built from an Arrow column, or reopened from persisted bytes. */
export type IndexOpenRequest =
  | {
      readonly source: RecordBatch | Table;
      readonly column: string;
      readonly params?: Readonly<Record<string, unknown>>;
    }
  | { readonly bytes: Uint8Array };

/**
 * Index kinds: `persist()` on the old handle, then `open(bytes)` on the new provider. The old handle
 * keeps answering probes until commit (handles are read-only) and is closed only after the new
 * version took over and its last probe finished. Undo closes the new handle; the old one was never
 * touched.
 */
export const indexKindDiscipline: KindDiscipline<IndexKindProvider, IndexHandle, IndexOpenRequest> & {
  readonly mode: 'persistOpen';
  readonly pausesCallers: false;
} = {
  kind: 'indexKind',
  mode: 'persistOpen',
  description:
    'persist() on the old handle, then open(bytes) on the new provider; the old handle stays live until commit',
  pausesCallers: false,
  keyOf: (provider) => provider.kind,
  validate: (provider) => shapeProblems(provider, { strings: ['kind'], methods: ['build', 'open'] }),
  checkResource: handleCheck,
  async open(provider, request, context) {
    const signal = context.signal === undefined ? {} : { signal: context.signal };
    const resource =
      'bytes' in request
        ? await context.call('open', () => provider.open(request.bytes, signal))
        : await context.call('build', () =>
            provider.build(request.source, {
              column: request.column,
              ...(request.params ? { params: request.params } : {}),
              ...signal,
            }),
          );
    return { resource };
  },
  async handoff({ old, next }, context) {
    const bytes = await context.call('persist', (signal) => old.persist({ signal }), { check: expectBytes });
    const handle = await context.call('open', (signal) => next.open(bytes, { signal }), {
      check: handleCheck,
      onLate: (late) => late.close(),
    });
    return {
      next: handle,
      detail: { bytes: bytes.byteLength },
      release: async (ctx) => {
        await ctx.call('close', () => old.close());
      },
      undo: async (ctx) => {
        // The old one was never touched: it serves again even if closing the new one fails.
        await ctx.call('close', () => handle.close()).catch(() => undefined);
        return old;
      },
    };
  },
  async close(resource, context) {
    await context.call('close', () => resource.close());
  },
};
