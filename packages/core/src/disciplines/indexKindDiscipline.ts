import type { IndexHandle, IndexKindProvider } from '../surfaces/indexKind.js';
import type { KindDiscipline } from './discipline.js';
import { expectBytes, expectMethods, shapeProblems } from './shape.js';

const handleCheck = expectMethods('an IndexHandle', 'probe', 'persist', 'close');

/**
 * Index kinds: `persist()` on the old handle, then `open(bytes)` on the new provider. The old handle
 * keeps answering probes until commit (handles are read-only) and is closed only after the new
 * version took over and its last probe finished. Undo closes the new handle; the old one was never
 * touched.
 */
export const indexKindDiscipline: KindDiscipline<IndexKindProvider, IndexHandle> & { readonly mode: 'persistOpen' } = {
  kind: 'indexKind',
  mode: 'persistOpen',
  description:
    'persist() on the old handle, then open(bytes) on the new provider; the old handle stays live until commit',
  exclusive: false,
  keyOf: (provider) => provider.kind,
  validate: (provider) => shapeProblems(provider, { strings: ['kind'], methods: ['build', 'open'] }),
  async handoff({ old, next }, context) {
    const bytes = await context.call('persist', (signal) => old.persist({ signal }), { check: expectBytes });
    const handle = await context.call('open', (signal) => next.open(bytes, { signal }), {
      check: handleCheck,
      onLate: (late) => late.close(),
    });
    return {
      next: handle,
      detail: { bytes: bytes.byteLength },
      release: async (ctx) => void (await ctx.call('close', () => old.close())),
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
