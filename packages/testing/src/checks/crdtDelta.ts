import { isDeepStrictEqual } from 'node:util';
import type { CrdtKindProvider, CrdtMark, CrdtState } from '@baton/core';
import fc from 'fast-check';
import { replicaPlans, stateOf } from '../arbitraries/crdtOps.js';
import type { OpSource } from '../arbitraries/crdtOps.js';
import { crdtSteps, describeStep, playSteps } from '../arbitraries/crdtSteps.js';
import type { CrdtStep } from '../arbitraries/crdtSteps.js';
import { fail, show } from './describe.js';
import { assertParameters } from './runOptions.js';
import type { RunOptions } from './runOptions.js';

/** Options of {@link assertCrdtDelta}. */
export interface CrdtDeltaOptions<Op> extends RunOptions {
  /** Operations a replica applies locally (see {@link OpSource}). */
  readonly ops: OpSource<Op>;
  /**
   * The provider that reads the persisted state and merges the delta: the next version of the kind
   * (default: the same provider). It must read the old version's bytes without a migration — a host
   * never moves a state by delta across a migration.
   */
  readonly next?: CrdtKindProvider<Op>;
  /** Replicas per case (default 3, at least 2); replica 0 is the live state being moved. */
  readonly replicas?: number;
  /** Steps (ops and merges) per phase at most (default 10). */
  readonly maxSteps?: number;
  /**
   * Fail when the states lack `mark` (old) or `mergeDelta` (next), or when the next version declares
   * a migration (default true: a direct call wants the law checked). With `false` such a pair is
   * skipped and the check resolves to `false`.
   */
  readonly requireHooks?: boolean;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
/** Where two byte strings first differ, with a few bytes of each around it in hex. */
function bytesDifference(want: Uint8Array, got: Uint8Array): string {
  let i = 0;
  while (i < want.length && i < got.length && want[i] === got[i]) i++;
  const around = (b: Uint8Array): string => Buffer.from(b.subarray(Math.max(0, i - 4), i + 12)).toString('hex');
  return `${want.length} vs ${got.length} bytes, first difference at byte ${i}: …${around(want)}… vs …${around(got)}…`;
}
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Proves a CRDT kind's `mark`/`mergeDelta` hooks move a live state exactly as a reload does before
 * its pause. For generated histories over several replicas (local ops and state merges) in four
 * phases — before the mark, between the mark and the persist, between the persist and a pre-copy,
 * and after it — with live state S (replica 0): `m = S.mark()`, `b = S.persist()`,
 * `T = next.fromPersisted(b)`, optionally `T.mergeDelta(m.delta())` (the pre-copy), then
 * `T.mergeDelta(m.delta())`. Demands: `T.value()` deep-equals `S.value()`; `T.persist()` equals, byte
 * for byte, what the next version writes for S (`next.fromPersisted(S.persist()).persist()`);
 * merging the final and the earlier delta again changes neither; a mark with `changed()` answers
 * a boolean, and `false` only when `S.persist()` is what it was at the mark (a reload skips the
 * delta then); after `m.release()`, `m.delta()` (and `m.changed()`) throws. Resolves `true` when
 * checked, `false` when skipped (see `requireHooks`); throws a readable counterexample (phases,
 * values, bytes) otherwise.
 */
export async function assertCrdtDelta<Op, V>(
  provider: CrdtKindProvider<Op, V>,
  options: CrdtDeltaOptions<Op>,
): Promise<boolean> {
  const next = (options.next ?? provider) as CrdtKindProvider<Op, V>;
  const kind =
    next === provider
      ? provider.kind
      : `${provider.kind} (format ${provider.formatVersion ?? '?'} → ${next.formatVersion ?? '?'})`;
  const skip = async (why: string): Promise<false> => {
    if (options.requireHooks ?? true)
      fail(`${kind}: the delta law cannot be checked: ${why}`, 'pass requireHooks: false to skip such a pair');
    return false;
  };
  if (next !== provider && next.schemaCompatCheck) {
    const verdict = await next.schemaCompatCheck(provider);
    if (verdict.type !== 'compatible')
      return skip(`the next version declares '${verdict.type}': a host moves such a state by persist → migrate`);
  }
  const probe = await provider.empty();
  if (typeof probe.mark !== 'function') return skip(`states of '${provider.kind}' have no mark()`);
  const probeNext = await next.fromPersisted(await probe.persist());
  if (typeof probeNext.mergeDelta !== 'function')
    return skip(`states read by the next version '${next.kind}' have no mergeDelta()`);

  const replicas = Math.max(2, options.replicas ?? 3);
  const phase = crdtSteps(options.ops, replicas, options.maxSteps ?? 10);
  const cases = fc.record({
    start: replicaPlans(options.ops, { replicas, maxOps: 6 }),
    before: phase,
    toPersist: phase,
    toPrecopy: phase,
    toEnd: phase,
    precopy: fc.boolean(),
  });
  await fc.assert(
    fc.asyncProperty(cases, async ({ start, before, toPersist, toPrecopy, toEnd, precopy }) => {
      const states: CrdtState<Op, V>[] = [];
      for (const ops of start) states.push(await stateOf(provider, ops));
      const live = states[0]!;
      const steps = (list: readonly CrdtStep<Op>[]): string => show(list.map((s) => describeStep(s, show)));
      const where = [
        `replicas start with ops ${show(start)}`,
        `before the mark:      ${steps(before)}`,
        `mark → persist:       ${steps(toPersist)}`,
        `persist → pre-copy:   ${steps(toPrecopy)}${precopy ? '' : ' (no pre-copy)'}`,
        `→ final delta:        ${steps(toEnd)}`,
      ];
      await playSteps(states, before);
      const mark: CrdtMark = await live.mark!();
      const hasChanged = typeof mark.changed === 'function';
      const atMark = hasChanged ? await live.persist() : undefined;
      try {
        await playSteps(states, toPersist);
        const moved = await next.fromPersisted(await live.persist());
        await playSteps(states, toPrecopy);
        const early = await mark.delta();
        if (precopy) await moved.mergeDelta!(early);
        await playSteps(states, toEnd);
        const delta = await mark.delta();
        try {
          await moved.mergeDelta!(delta);
        } catch (error) {
          fail(
            `${kind}: mergeDelta refused the delta since the mark (${delta.byteLength} bytes)`,
            ...where,
            message(error),
          );
        }
        const want = await live.value();
        const got = await moved.value();
        if (!isDeepStrictEqual(got, want))
          fail(
            `${kind}: the delta since a mark does not carry every change (value differs)`,
            ...where,
            `live state      ${show(want)}`,
            `persisted ⊔ Δ   ${show(got)}`,
          );
        const wantBytes = await (await next.fromPersisted(await live.persist())).persist();
        const gotBytes = await moved.persist();
        if (!bytesEqual(gotBytes, wantBytes))
          fail(
            `${kind}: persisted ⊔ delta has the live value but not its persisted bytes (a hidden part of the state differs)`,
            ...where,
            `value ${show(want)}`,
            `live state vs persisted ⊔ Δ: ${bytesDifference(wantBytes, gotBytes)}`,
          );
        await moved.mergeDelta!(delta);
        await moved.mergeDelta!(early);
        const again = await moved.persist();
        if (!bytesEqual(again, wantBytes) || !isDeepStrictEqual(await moved.value(), want))
          fail(
            `${kind}: merging a delta again changed the state (deltas must be idempotent)`,
            ...where,
            `once vs twice: ${bytesDifference(wantBytes, again)}`,
            `value once ${show(want)}, twice ${show(await moved.value())}`,
          );
        if (atMark !== undefined) {
          const changed: unknown = await mark.changed!();
          if (typeof changed !== 'boolean')
            fail(`${kind}: changed() returned ${show(changed)}, not a boolean`, ...where);
          const now = await live.persist();
          if (!changed && !bytesEqual(now, atMark))
            fail(
              `${kind}: changed() said nothing changed since the mark, but the state did (a reload would skip its delta)`,
              ...where,
              `at the mark vs now: ${bytesDifference(atMark, now)}`,
            );
        }
      } finally {
        mark.release();
      }
      if (hasChanged) {
        let answered = true;
        try {
          await mark.changed!();
        } catch {
          answered = false;
        }
        if (answered) fail(`${kind}: changed() of a released mark did not throw`, ...where);
      }
      let late: unknown;
      try {
        late = await mark.delta();
      } catch {
        return;
      }
      fail(
        `${kind}: delta() of a released mark did not throw`,
        ...where,
        `it returned ${late instanceof Uint8Array ? `${late.byteLength} bytes` : show(late)}`,
      );
    }),
    assertParameters(options),
  );
  return true;
}
