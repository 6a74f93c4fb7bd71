import { describe, expect, it } from 'vitest';
import {
  MemorySink,
  batchAt,
  counterV1,
  counterV2Lossy,
  counterV2Migrating,
  fixtureCdcOutput,
  fixtureIndexKind,
  queryBatch,
  valuesTable,
} from '../__tests__/fixtures.js';
import type { FixtureIndexHandle } from '../__tests__/fixtures.js';
import type { IndexHandle } from '../surfaces/indexKind.js';
import { RegistrationSet } from './registrationSet.js';
import { ReloadDispatcher } from './reloadDispatcher.js';
import type { DispatchResult } from './reloadDispatcher.js';
import type { ReloadOutcome } from './reloadOutcome.js';
import type { ResourceHandoff } from './resourceHandoff.js';
import { fakeClock, isPending } from '../__tests__/latches.js';
import { rejection } from '../__tests__/rejection.js';
import { deferred } from '../util/deferred.js';
import type { Deferred } from '../util/deferred.js';

const none = RegistrationSet.empty();

/** The outcome of a dispatch that must succeed. */
async function succeeded(result: Promise<DispatchResult>): Promise<ReloadOutcome> {
  const settled = await result;
  if (!settled.ok) throw settled.error;
  return settled.outcome;
}

/** The error and rollback report of a dispatch that must fail. */
async function failed(result: Promise<DispatchResult>) {
  const settled = await result;
  if (settled.ok) throw new Error('expected the dispatch to fail');
  return settled;
}

/** The error of a dispatch that must fail. */
async function dispatchError(result: Promise<DispatchResult>) {
  return (await failed(result)).error;
}

/** Index handoffs (the typed form of a built-in kind's handoff). */
function indexHandoffs(
  entries: readonly { name: string; old: IndexHandle; next: ResourceHandoff<'indexKind'>['next'] }[],
): ResourceHandoff<'indexKind'>[] {
  return entries.map((e) => ({ kind: 'indexKind', ...e }));
}

function threeHandles(version = 'v1') {
  const old = fixtureIndexKind(version);
  const handles = [0, 1, 2].map((i) => old.build(valuesTable([i, i + 10, i + 20]), { column: 'v' }));
  return { old, handles };
}

describe('ReloadDispatcher: index persist → open', () => {
  it('reopens every handle on the new provider; probes answer as before; old handles close only on release', async () => {
    const { handles } = threeHandles();
    const next = fixtureIndexKind('v2');
    const outcome = await succeeded(
      new ReloadDispatcher(none, none, {
        handoffs: indexHandoffs(handles.map((old, i) => ({ name: `idx${i}`, old, next }))),
      }).dispatch(),
    );
    expect(outcome.resources.byKind('indexKind').size).toBe(3);
    for (const [i, old] of handles.entries()) {
      const reopened = outcome.resources.get('indexKind', `idx${i}`)! as FixtureIndexHandle;
      expect(reopened.version).toBe('v2');
      expect(reopened.probe(queryBatch([3, 15]), 2).toArray()).toEqual(old.probe(queryBatch([3, 15]), 2).toArray());
      expect(old.closed).toBe(false);
    }
    expect(outcome.handoffs.map((h) => h.detail['bytes'])).toEqual([28, 28, 28]);
    await outcome.release();
    expect(handles.every((h) => h.closed)).toBe(true);
    expect(outcome.state).toBe('released');
  });

  it('open failing on the 2nd of 3 handles: new handles closed, old ones never closed, error names the handle', async () => {
    const { handles } = threeHandles();
    const next = fixtureIndexKind('v2', { handles: [] }, { open: 'reject', openFailsOnCall: 2 });
    const { error, rollback } = await failed(
      new ReloadDispatcher(none, none, {
        concurrency: 1,
        handoffs: indexHandoffs(handles.map((old, i) => ({ name: `idx${i}`, old, next }))),
      }).dispatch(),
    );
    expect(error).toMatchObject({
      code: 'HANDOFF_FAILED',
      phase: 'dispatch',
      kind: 'indexKind',
      key: 'idx1',
      step: 'open',
    });
    expect(error.message).toContain("indexKind 'idx1': open() failed: injected fault: open rejects");
    expect(handles.some((h) => h.closed)).toBe(false);
    expect(next.ledger.handles).toHaveLength(1);
    expect(next.ledger.handles[0]!.closed).toBe(true);
    expect([...rollback.restored.byKind('indexKind').values()]).toEqual(handles);
  });

  it.each(['throw', 'reject', 'garbage'] as const)(
    'persist that fails by %s fails the handoff with a typed error',
    async (fault) => {
      const old = fixtureIndexKind('v1', { handles: [] }, { persist: fault });
      const handle = old.build(valuesTable([1, 2]), { column: 'v' });
      const error = await dispatchError(
        new ReloadDispatcher(none, none, {
          handoffs: indexHandoffs([{ name: 'i', old: handle, next: fixtureIndexKind('v2') }]),
        }).dispatch(),
      );
      expect(error).toMatchObject({ code: 'HANDOFF_FAILED', kind: 'indexKind', key: 'i', step: 'persist' });
      if (fault === 'garbage') expect(error.message).toContain('expected a Uint8Array');
    },
  );

  it('an open that hangs times out and a handle it opens late is closed', async () => {
    const old = fixtureIndexKind('v1');
    const handle = old.build(valuesTable([1]), { column: 'v' });
    let finish!: () => void;
    const late = fixtureIndexKind('v2');
    const closed = deferred();
    const lateHandle = (bytes: Uint8Array): FixtureIndexHandle => {
      const handle = late.open(bytes) as FixtureIndexHandle;
      const close = handle.close.bind(handle);
      handle.close = () => {
        close();
        closed.resolve();
      };
      return handle;
    };
    const next = {
      ...late,
      open: (bytes: Uint8Array) =>
        new Promise<FixtureIndexHandle>(
          (resolve) =>
            (finish = () => {
              resolve(lateHandle(bytes));
            }),
        ),
    };
    const error = await dispatchError(
      new ReloadDispatcher(none, none, {
        stepTimeoutMs: 20,
        handoffs: indexHandoffs([{ name: 'i', old: handle, next }]),
      }).dispatch(),
    );
    expect(error).toMatchObject({ code: 'STEP_TIMEOUT', step: 'open' });
    finish();
    await closed.promise; // the late handle is closed, or the test times out
    expect(late.ledger.handles[0]!.closed).toBe(true);
  });
});

describe('ReloadDispatcher: CDC checkpoint → shutdown → start', () => {
  it('resumes the new stream exactly at the checkpoint', async () => {
    const sink = new MemorySink();
    const oldProvider = fixtureCdcOutput('v1', sink);
    const old = await oldProvider.start({});
    await old.deliver(batchAt(0n, 3));
    await old.deliver(batchAt(3n, 2));
    const next = fixtureCdcOutput('v2', sink);
    const outcome = await succeeded(
      new ReloadDispatcher(none, none, {
        handoffs: [{ kind: 'cdcOutput', name: 's', old, oldProvider, next, params: { expectedLsn: 5n } }],
      }).dispatch(),
    );
    const stream = outcome.resources.get('cdcOutput', 's')!;
    await stream.deliver(batchAt(3n, 2)); // a re-delivery is skipped
    await stream.deliver(batchAt(5n, 1));
    expect(sink.ranges()).toEqual(['0-3', '3-5', '5-6']);
    expect(outcome.handoffs[0]!.detail['checkpointLsn']).toBe(5n);
  });

  it('start failing on the new provider restarts the old provider at the same LSN and hands it back', async () => {
    const sink = new MemorySink();
    const oldProvider = fixtureCdcOutput('v1', sink);
    const old = await oldProvider.start({});
    await old.deliver(batchAt(0n, 4));
    const next = fixtureCdcOutput('v2', sink, { start: 'throw' });
    const { error, rollback } = await failed(
      new ReloadDispatcher(none, none, {
        handoffs: [{ kind: 'cdcOutput', name: 's', old, oldProvider, next }],
      }).dispatch(),
    );
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', kind: 'cdcOutput', key: 's', step: 'start' });
    const restored = rollback.restored.get('cdcOutput', 's')!;
    expect(restored).not.toBe(old);
    expect(restored).toMatchObject({ version: 'v1', position: 4n });
    expect(rollback.checkpoints.get('s')).toBe(4n);
    await restored.deliver(batchAt(4n, 1));
    expect(sink.ranges()).toEqual(['0-4', '4-5']);
  });

  it('when the old provider cannot restart either, the error says to restart from the checkpoint', async () => {
    const sink = new MemorySink();
    const oldProvider = fixtureCdcOutput('v1', sink, { start: 'reject', startFailsOnCall: 2 });
    const old = await oldProvider.start({});
    await old.deliver(batchAt(0n, 2));
    const { error, rollback } = await failed(
      new ReloadDispatcher(none, none, {
        handoffs: [
          { kind: 'cdcOutput', name: 's', old, oldProvider, next: fixtureCdcOutput('v2', sink, { start: 'reject' }) },
        ],
      }).dispatch(),
    );
    expect(error.code).toBe('ROLLBACK_FAILED');
    expect(error.message).toContain('restart from LSN 2');
    expect(rollback.unrestored).toMatchObject([{ kind: 'cdcOutput', name: 's', checkpointLsn: 2n }]);
  });

  it('refuses a checkpoint that disagrees with what was delivered, before stopping anything', async () => {
    const sink = new MemorySink();
    const oldProvider = fixtureCdcOutput('v1', sink);
    const old = await oldProvider.start({});
    await old.deliver(batchAt(0n, 2));
    const { error } = await failed(
      new ReloadDispatcher(none, none, {
        handoffs: [
          {
            kind: 'cdcOutput',
            name: 's',
            old,
            oldProvider,
            next: fixtureCdcOutput('v2', sink),
            params: { expectedLsn: 9n },
          },
        ],
      }).dispatch(),
    );
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', step: 'checkpoint' });
    expect(oldProvider.streams[0]!.stopped).toBe(false);
  });

  it('a failing index handoff undoes completed CDC handoffs: the old stream is restarted where the new one stopped', async () => {
    const sink = new MemorySink();
    const oldCdc = fixtureCdcOutput('v1', sink);
    const stream = await oldCdc.start({});
    await stream.deliver(batchAt(0n, 3));
    const nextCdc = fixtureCdcOutput('v2', sink);
    const idx = fixtureIndexKind('v1').build(valuesTable([1]), { column: 'v' });
    const { error, rollback } = await failed(
      new ReloadDispatcher(none, none, {
        concurrency: 2,
        handoffs: [
          { kind: 'cdcOutput', name: 's', old: stream, oldProvider: oldCdc, next: nextCdc },
          { kind: 'indexKind', name: 'i', old: idx, next: fixtureIndexKind('v2', { handles: [] }, { open: 'throw' }) },
        ],
      }).dispatch(),
    );
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', key: 'i' });
    expect(nextCdc.streams[0]!.stopped).toBe(true);
    const restored = rollback.restored.get('cdcOutput', 's')!;
    expect(restored).toMatchObject({ version: 'v1', position: 3n });
  });
});

describe('ReloadDispatcher: transactions, concurrency, abort', () => {
  it('runs handoffs in parallel up to the bound', async () => {
    let running = 0;
    let peak = 0;
    const held: Deferred<void>[] = [];
    const slow = {
      ...fixtureIndexKind('v2'),
      async open(bytes: Uint8Array) {
        running++;
        peak = Math.max(peak, running);
        const hold = deferred();
        held.push(hold);
        await hold.promise; // finishes when the test releases it
        running--;
        return fixtureIndexKind('v2').open(bytes);
      },
    };
    const old = fixtureIndexKind('v1');
    const indexHandles = Array.from({ length: 12 }, (_, i) => ({
      name: `i${i}`,
      old: old.build(valuesTable([i]), { column: 'v' }),
      next: slow,
    }));
    const dispatching = new ReloadDispatcher(none, none, {
      concurrency: 4,
      handoffs: indexHandoffs(indexHandles),
    }).dispatch();
    // Each round: let every handoff that can start start, then release the opens that are running.
    while (await isPending(dispatching)) {
      if (held.length === 0) throw new Error('the dispatch waits, but on no open the test holds');
      for (const hold of held.splice(0)) hold.resolve();
    }
    const outcome = await succeeded(dispatching);
    expect(peak).toBe(4);
    expect(outcome.resources.byKind('indexKind').size).toBe(12);
  });

  it('rollback() of an outcome undoes every handoff and returns the old resources', async () => {
    const { handles } = threeHandles();
    const next = fixtureIndexKind('v2');
    const outcome = await succeeded(
      new ReloadDispatcher(none, none, {
        handoffs: indexHandoffs(handles.map((old, i) => ({ name: `i${i}`, old, next }))),
      }).dispatch(),
    );
    const { restored, unrestored, error } = await outcome.rollback();
    expect([unrestored, error]).toEqual([[], undefined]);
    expect(handles.map((_, i) => restored.get('indexKind', `i${i}`))).toEqual(handles);
    expect(next.ledger.handles.every((h) => h.closed)).toBe(true);
    expect(handles.some((h) => h.closed)).toBe(false);
    await expect(outcome.release()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('disposing a prepared outcome rolls it back', async () => {
    const { handles } = threeHandles();
    const next = fixtureIndexKind('v2');
    {
      await using outcome = await succeeded(
        new ReloadDispatcher(none, none, {
          handoffs: indexHandoffs(handles.map((old, i) => ({ name: `i${i}`, old, next }))),
        }).dispatch(),
      );
      expect(outcome.state).toBe('prepared');
    }
    expect(next.ledger.handles.every((h) => h.closed)).toBe(true);
  });

  it('an abort during dispatch undoes completed handoffs with ABORTED', async () => {
    const controller = new AbortController();
    const { handles } = threeHandles();
    let opening = 0;
    const allOpening = deferred();
    const slowNext = {
      ...fixtureIndexKind('v2'),
      open: (bytes: Uint8Array, o?: { signal?: AbortSignal }) =>
        new Promise<never>((_, reject) => {
          o?.signal?.addEventListener('abort', () => {
            reject(new Error(`aborted ${bytes.length}`));
          });
          if (++opening === handles.length) allOpening.resolve();
        }),
    };
    const pending = new ReloadDispatcher(none, none, {
      signal: controller.signal,
      handoffs: indexHandoffs(handles.map((old, i) => ({ name: `i${i}`, old, next: slowNext }))),
    }).dispatch();
    await allOpening.promise; // every handoff is in its open
    controller.abort();
    const error = await dispatchError(pending);
    expect(error.code).toBe('ABORTED');
    expect(handles.some((h) => h.closed)).toBe(false);
  });

  it('a step that times out aborts the steps still running in other handoffs, and the error names it, not them', async () => {
    const next = fixtureIndexKind('v2');
    const v1 = fixtureIndexKind('v1');
    const slow = v1.build(valuesTable([0]), { column: 'v' });
    const hung = v1.build(valuesTable([1]), { column: 'v' });
    using clock = fakeClock(); // the step deadlines fire when the test advances the clock
    let openStarted = 0;
    let abortedAfterMs: number | undefined;
    const opening = deferred();
    const watchful = {
      ...next,
      // Starts when the persist of 'first' resolves (at 20 ms, below) and waits for its signal.
      open: (_bytes: Uint8Array, o?: { signal?: AbortSignal }) =>
        new Promise<never>((_, reject) => {
          openStarted = clock.now();
          o?.signal?.addEventListener('abort', () => {
            abortedAfterMs = clock.now() - openStarted;
            reject(new Error('open aborted'));
          });
          opening.resolve();
        }),
    };
    const persisted = deferred<Uint8Array>();
    const delayed: IndexHandle = {
      probe: (query, k) => slow.probe(query, k),
      close: () => {
        slow.close();
      },
      persist: () => persisted.promise, // resolved by the test at 20 ms
    };
    const stuck: IndexHandle = {
      probe: (query, k) => hung.probe(query, k),
      close: () => {
        hung.close();
      },
      persist: () => new Promise<never>(() => undefined), // ignores its signal: times out at 30 ms
    };
    const dispatching = dispatchError(
      new ReloadDispatcher(none, none, {
        stepTimeoutMs: 30,
        handoffs: indexHandoffs([
          { name: 'first', old: delayed, next: watchful },
          { name: 'second', old: stuck, next },
        ]),
      }).dispatch(),
    );
    await clock.advance(20);
    persisted.resolve(slow.persist() as Uint8Array);
    await opening.promise; // the open of 'first' runs from 20 ms, with a deadline at 50 ms
    await clock.advance(10); // 30 ms: the persist of 'second' times out
    const error = await dispatching;
    // 'second' timed out first (at 30 ms, before 'first' could: its open started at 20 ms, with a
    // deadline at 50 ms); that aborted the open of 'first', which was therefore not left running.
    expect(error).toMatchObject({ code: 'STEP_TIMEOUT', key: 'second', step: 'persist' });
    expect(abortedAfterMs).toBeDefined();
    expect(abortedAfterMs!).toBeLessThan(30);
    expect([slow.closed, hung.closed]).toEqual([false, false]);
  });

  it('rejects bad handoffs with INVALID_ARGUMENT', () => {
    const next = fixtureIndexKind('v2');
    const old = next.build(valuesTable([1]), { column: 'v' });
    const d = (handoffs: readonly ResourceHandoff[]) => new ReloadDispatcher(none, none, { handoffs });
    expect(() =>
      d(
        indexHandoffs([
          { name: 'a', old, next },
          { name: 'a', old, next },
        ]),
      ),
    ).toThrow(/share this name/);
    expect(() => d(indexHandoffs([{ name: '', old, next }]))).toThrow(/non-empty name/);
    expect(() => d(indexHandoffs([{ name: 'a', old, next: { kind: 'x' } as never }]))).toThrow(/build\(\)' is missing/);
    expect(() => d([{ kind: 'nope', name: 'a', old, next }])).toThrow(/no discipline/);
    expect(() => new ReloadDispatcher(none, none, { concurrency: 0 })).toThrow(/concurrency/);
  });

  it('dispatch runs once', async () => {
    const d = new ReloadDispatcher(none, none);
    await d.dispatch();
    await expect(d.dispatch()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('ReloadDispatcher: compat', () => {
  const ops = [
    [
      { replica: 'a', by: 2 },
      { replica: 'b', by: 3 },
    ],
  ];
  const regs = (crdt: unknown) => RegistrationSet.of([{ kind: 'crdtKind', key: 'counter', provider: crdt }]);

  it('reports added, removed and checked surfaces', async () => {
    const v1 = counterV1(() => ops);
    const report = await new ReloadDispatcher(
      RegistrationSet.of([
        { kind: 'crdtKind', key: 'counter', provider: v1 },
        { kind: 'indexKind', key: 'gone', provider: fixtureIndexKind('v1') },
      ]),
      RegistrationSet.of([
        { kind: 'crdtKind', key: 'counter', provider: counterV2Migrating() },
        { kind: 'indexKind', key: 'new', provider: fixtureIndexKind('v2') },
      ]),
    ).checkCompat();
    expect(report.entries.map((e) => `${e.kind}/${e.key}:${e.status}`).sort()).toEqual([
      'crdtKind/counter:compatibleAfterMigration',
      'indexKind/gone:removed',
      'indexKind/new:added',
    ]);
    expect(report.toLines().join('\n')).toContain('counter format 1 → 2');
  });

  it('SCHEMA_INCOMPATIBLE for a v2 that loses state only non-empty states show', async () => {
    const error = await rejection(
      new ReloadDispatcher(regs(counterV1(() => ops)), regs(counterV2Lossy())).checkCompat(),
    );
    expect(error).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE', phase: 'compat', kind: 'crdtKind', key: 'counter' });
    expect(error.message).toContain('value of sample 0 (2 ops) changed across the round trip: 5 → 2');
  });

  it('migrates live CRDT states during dispatch and checks them in compat first', async () => {
    const v1 = counterV1();
    const live = await v1.empty();
    await live.apply({ replica: 'x', by: 7 });
    const next = counterV2Migrating();
    const d = new ReloadDispatcher(regs(v1), regs(next), {
      handoffs: [{ kind: 'crdtKind', name: 'hits', old: live, oldProvider: v1, next }],
    });
    const report = await d.checkCompat();
    expect(report.verdictFor('crdtKind', 'counter')?.type).toBe('compatibleAfterMigration');
    const outcome = await succeeded(d.dispatch());
    const migrated = outcome.resources.get('crdtKind', 'hits')!;
    expect(await migrated.value()).toBe(7);
    expect(new TextDecoder().decode(await migrated.persist())).toContain('"v":2');
  });

  it('a compat check that hangs or throws is incompatible, with the reason', async () => {
    const hanging = { ...counterV2Migrating(), schemaCompatCheck: () => new Promise<never>(() => undefined) };
    const error = await rejection(
      new ReloadDispatcher(regs(counterV1(() => ops)), regs(hanging), { compatTimeoutMs: 20 }).checkCompat(),
    );
    expect(error.message).toContain("did not finish within 20 ms (in schemaCompatCheck() of the new 'counter')");
    const throwing = {
      ...counterV2Migrating(),
      schemaCompatCheck: () => {
        throw new Error('nope');
      },
    };
    const error2 = await rejection(new ReloadDispatcher(regs(counterV1(() => ops)), regs(throwing)).checkCompat());
    expect(error2.message).toContain("schemaCompatCheck() of the new 'counter' threw: nope");
  });
});
