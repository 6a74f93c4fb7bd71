import type { RecordBatch, Table } from 'apache-arrow';
import type { IndexHandle, IndexKindProvider, IndexSnapshot } from '../surfaces/indexKind.js';
import type { KindDiscipline, PreparedHandoff, StepContext } from './discipline.js';
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

/** Checks what `snapshot()` returned: an object naming a kind and a layout, with buffers. */
function snapshotCheck(value: unknown): string | undefined {
  const v = value as Partial<IndexSnapshot> | null;
  if (typeof v !== 'object' || v === null) return 'expected an IndexSnapshot object';
  if (typeof v.kind !== 'string' || typeof v.layout !== 'string') return 'an IndexSnapshot needs a kind and a layout';
  if (!Array.isArray(v.buffers) || !v.buffers.every((b) => ArrayBuffer.isView(b)))
    return 'an IndexSnapshot needs buffers (typed arrays)';
  return undefined;
}

/**
 * The new handle for `old`: adopted from its snapshot when both sides have the hooks and the new
 * provider reads the layout (no copy), else persisted and opened.
 */
async function reopen(
  old: IndexHandle,
  next: IndexKindProvider,
  context: StepContext,
): Promise<{ handle: IndexHandle; bytes: number; byReference: boolean }> {
  if (typeof old.snapshot === 'function' && typeof next.adopt === 'function') {
    const snapshot = await context.call('snapshot', (signal) => old.snapshot!({ signal }), { check: snapshotCheck });
    const adopted = await context.call('adopt', (signal) => next.adopt!(snapshot, { signal }), {
      check: (value) => (value === undefined ? undefined : handleCheck(value)),
      onLate: (late) => late?.close(),
    });
    if (adopted !== undefined) return { handle: adopted, bytes: snapshot.byteLength, byReference: true };
  }
  const bytes = await context.call('persist', (signal) => old.persist({ signal }), { check: expectBytes });
  const handle = await context.call('open', (signal) => next.open(bytes, { signal }), {
    check: handleCheck,
    onLate: (late) => late.close(),
  });
  return { handle, bytes: bytes.byteLength, byReference: false };
}

/** The handoff of a handle already reopened: release closes the old one, undo the new one. */
function handedOver(
  old: IndexHandle,
  handle: IndexHandle,
  detail: Record<string, unknown>,
): PreparedHandoff<IndexHandle> {
  return {
    next: handle,
    detail,
    release: async (ctx) => {
      await ctx.call('close', () => old.close());
    },
    undo: async (ctx) => {
      // The old one was never touched: it serves again even if closing the new one fails.
      await ctx.call('close', () => handle.close()).catch(() => undefined);
      return old;
    },
  };
}

/**
 * Index kinds: the new provider reopens the old handle's data — `adopt(snapshot())` by reference
 * when both versions have the hooks and share a layout, else `persist()` then `open(bytes)`. Handles
 * are read-only, so this is prepared before the pause while the old handle serves (`prepare`); the
 * pause hands over nothing. The old handle keeps answering probes until commit and is closed only
 * after the new version took over and its last probe finished (closing it only drops its own
 * references). A failure refuses the reload before anything pauses; undo closes the new handle.
 */
export const indexKindDiscipline: KindDiscipline<IndexKindProvider, IndexHandle, IndexOpenRequest> & {
  readonly mode: 'persistOpen';
  readonly pausesCallers: false;
} = {
  kind: 'indexKind',
  mode: 'persistOpen',
  description:
    'before the pause: adopt(snapshot()) or persist() → open(bytes) on the new provider; the old handle stays live until commit',
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
  async prepare({ old, next }, context) {
    const { handle, bytes, byReference } = await reopen(old, next, context);
    return {
      detail: { bytes, byReference },
      // Read-only handles: nothing changed since the snapshot, so nothing is handed over in the pause.
      catchUp: async () => handedOver(old, handle, {}),
      discard: async (ctx) => {
        await ctx.call('close', () => handle.close());
      },
    };
  },
  async handoff({ old, next }, context) {
    const { handle, bytes, byReference } = await reopen(old, next, context);
    return handedOver(old, handle, { bytes, byReference });
  },
  async close(resource, context) {
    await context.call('close', () => resource.close());
  },
};
