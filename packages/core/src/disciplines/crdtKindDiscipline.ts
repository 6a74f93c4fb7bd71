import { isDeepStrictEqual, inspect } from 'node:util';
import { checkCrdtCompat } from '../compat/crdtCompat.js';
import type { CrdtKindProvider, CrdtMark, CrdtState } from '../surfaces/crdtKind.js';
import type { KindDiscipline, PreparedSnapshot, StepContext } from './discipline.js';
import { expectBoolean, expectBytes, expectMethods, shapeProblems } from './shape.js';

const stateCheck = expectMethods('a CrdtState', 'apply', 'merge', 'value', 'persist');

function markCheck(value: unknown): string | undefined {
  const problems = shapeProblems(value, { methods: ['delta', 'release'], optionalMethods: ['changed'] });
  return problems.length === 0 ? undefined : `expected a CrdtMark: ${problems.join('; ')}`;
}

/** Whether `mark` has `changed()`; a getter that throws counts as having it (the call then fails, typed). */
function hasChanged(mark: CrdtMark): boolean {
  try {
    return typeof mark.changed === 'function';
  } catch {
    return true;
  }
}

/** Fails `step` when the two values differ (a handoff must not change what a state reads as). */
function sameValue(before: unknown, after: unknown, context: StepContext, step: string): void {
  if (!isDeepStrictEqual(before, after))
    throw context.fail(
      step,
      `value changed across the handoff: ${inspect(before, { depth: 2 })} → ${inspect(after, { depth: 2 })}`,
    );
}

/**
 * Before the pause, while writers keep writing: mark the old state, persist it, read the bytes
 * with the new provider (checked against the old provider's reading of the same bytes), and merge
 * the delta so far once (which proves the new state reads the old one's deltas). A pre-copy round
 * (`refresh`) right before the gate closes merges what changed since and moves the mark, so inside
 * the pause only the delta since that round is merged, and nothing at all when the mark says it saw
 * no change (`changed()` false). Undefined when a side lacks the hooks or a migration is needed
 * (deltas are not migrated): the whole state then moves inside the pause, as before.
 */
async function prepareByDelta(
  old: CrdtState,
  oldProvider: CrdtKindProvider | undefined,
  next: CrdtKindProvider,
  context: StepContext,
): Promise<PreparedSnapshot<CrdtState> | undefined> {
  if (typeof old.mark !== 'function' || oldProvider === undefined) return undefined;
  const marks = new OpenMarks();
  let mark: CrdtMark = await openMark(old, context, marks);
  try {
    const bytes = await context.call('persist', () => old.persist(), { check: expectBytes });
    const state = await context.call('fromPersisted', () => next.fromPersisted(bytes), { check: stateCheck });
    if (typeof state.mergeDelta !== 'function') {
      marks.releaseAll();
      return undefined;
    }
    const reread = await context.call('fromPersisted', () => oldProvider.fromPersisted(bytes), { check: stateCheck });
    sameValue(
      await context.call('value', () => reread.value()),
      await context.call('value', () => state.value()),
      context,
      'verify',
    );
    /** Takes the current mark's delta and merges it into the new state; resolves with its size. */
    const carry = async (ctx: StepContext): Promise<number> => {
      const delta = await ctx.call('delta', () => mark.delta(), { check: expectBytes });
      await ctx.call('mergeDelta', () => state.mergeDelta!(delta));
      return delta.byteLength;
    };
    await carry(context);
    let precopied = 0;
    return {
      detail: { bytes: bytes.byteLength, migrated: false, byDelta: true },
      refresh: async (ctx) => {
        // The new mark opens before the old mark's delta is taken: a change landing between the two
        // is in both (merging it twice changes nothing), never in neither, whenever the hooks answer.
        const again = await openMark(old, ctx, marks);
        precopied += await carry(ctx);
        marks.release(mark);
        mark = again;
        return { precopyBytes: precopied };
      },
      catchUp: async (_params, ctx) => {
        // A mark that saw no change since the round has nothing to hand over: the pause skips the delta.
        const unchanged =
          hasChanged(mark) && !(await ctx.call('changed', () => mark.changed!(), { check: expectBoolean }));
        const detail = unchanged ? { deltaBytes: 0, changed: false } : { deltaBytes: await carry(ctx) };
        marks.releaseAll();
        return {
          next: state,
          detail,
          release: async () => undefined,
          undo: async () => old,
        };
      },
      discard: async () => {
        marks.releaseAll();
      },
    };
  } catch (error) {
    marks.releaseAll();
    throw error;
  }
}

/** Opens a mark on `old` through `context`, recorded in `marks` (a mark that answers too late is released). */
async function openMark(old: CrdtState, context: StepContext, marks: OpenMarks): Promise<CrdtMark> {
  const mark = await context.call('mark', () => old.mark!(), {
    check: markCheck,
    onLate: (late) => {
      late.release();
    },
  });
  marks.add(mark);
  return mark;
}

/** The marks a prepared handoff holds open on the old state: each is released exactly once. */
class OpenMarks {
  readonly #open = new Set<CrdtMark>();

  add(mark: CrdtMark): void {
    this.#open.add(mark);
  }

  release(mark: CrdtMark): void {
    if (this.#open.delete(mark)) mark.release();
  }

  releaseAll(): void {
    for (const mark of [...this.#open]) this.release(mark);
  }
}

/** How a CRDT state is opened: restored from persisted bytes, or empty. */
export interface CrdtOpenRequest {
  readonly bytes?: Uint8Array;
}

/**
 * CRDT kinds: reachable states of the old version must round-trip into the new one (checked before
 * anything pauses; incompatible is a hard error). Live states move by persist → migrate (when the
 * verdict carries a migration) → `fromPersisted` while their writers wait, and their `value()` must
 * be unchanged. A state with `mark` whose new provider's states have `mergeDelta` (and no
 * migration) moves before the pause instead, and only its delta since the mark inside it. Undo
 * keeps the old state, which was never modified.
 */
export const crdtKindDiscipline: KindDiscipline<CrdtKindProvider, CrdtState, CrdtOpenRequest> & {
  readonly mode: 'schemaCompat';
  readonly pausesCallers: true;
} = {
  kind: 'crdtKind',
  mode: 'schemaCompat',
  description: 'schema-compat check old→new before anything is paused; incompatible is a hard error',
  pausesCallers: true,
  keyOf: (provider) => provider.kind,
  validate: (provider) =>
    shapeProblems(provider, {
      strings: ['kind'],
      methods: ['empty', 'fromPersisted'],
      optionalMethods: ['schemaCompatCheck', 'samples'],
    }),
  checkResource: stateCheck,
  async open(provider, request, context) {
    const bytes = request.bytes;
    const resource =
      bytes === undefined
        ? await context.call('empty', () => provider.empty())
        : await context.call('fromPersisted', () => provider.fromPersisted(bytes));
    return { resource };
  },
  checkCompat: checkCrdtCompat,
  async prepare({ old, oldProvider, next, verdict }, context) {
    if (verdict.type !== 'compatible') return undefined;
    return prepareByDelta(old, oldProvider, next, context);
  },
  async handoff({ old, next, verdict }, context) {
    if (verdict.type === 'incompatible') throw context.fail('compat', verdict.reason);
    const before: unknown = await context.call('value', () => old.value());
    let bytes = await context.call('persist', () => old.persist(), { check: expectBytes });
    if (verdict.type === 'compatibleAfterMigration') {
      const persisted = bytes;
      bytes = await context.call('migrate', () => verdict.migrate(persisted), { check: expectBytes });
    }
    const migrated = bytes;
    const state = await context.call('fromPersisted', () => next.fromPersisted(migrated), { check: stateCheck });
    sameValue(before, await context.call('value', () => state.value()), context, 'verify');
    return {
      next: state,
      detail: { bytes: migrated.byteLength, migrated: verdict.type === 'compatibleAfterMigration' },
      release: async () => undefined,
      undo: async () => old,
    };
  },
};
