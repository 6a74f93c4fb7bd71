import { isDeepStrictEqual, inspect } from 'node:util';
import { checkCrdtCompat } from '../compat/crdtCompat.js';
import type { CrdtKindProvider, CrdtState } from '../surfaces/crdtKind.js';
import type { KindDiscipline } from './discipline.js';
import { expectBytes, expectMethods, shapeProblems } from './shape.js';

const stateCheck = expectMethods('a CrdtState', 'apply', 'merge', 'value', 'persist');

/** How a CRDT state is opened: restored from persisted bytes, or empty. */
export interface CrdtOpenRequest {
  readonly bytes?: Uint8Array;
}

/**
 * CRDT kinds: reachable states of the old version must round-trip into the new one (checked before
 * anything pauses; incompatible is a hard error). Live states move by persist → migrate (when the
 * verdict carries a migration) → `fromPersisted` while their writers wait, and their `value()` must
 * be unchanged. Undo keeps the old state, which was never modified.
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
    const after: unknown = await context.call('value', () => state.value());
    if (!isDeepStrictEqual(before, after)) {
      throw context.fail(
        'verify',
        `value changed across the handoff: ${inspect(before, { depth: 2 })} → ${inspect(after, { depth: 2 })}`,
      );
    }
    return {
      next: state,
      detail: { bytes: migrated.byteLength, migrated: verdict.type === 'compatibleAfterMigration' },
      release: async () => undefined,
      undo: async () => old,
    };
  },
};
