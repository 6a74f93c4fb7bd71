import { describe, expect, it } from 'vitest';
import { fixtureIndexKind, queryBatch, valuesTable } from '../__tests__/fixtures.js';
import type { FixtureIndexHandle } from '../__tests__/fixtures.js';
import { rejection } from '../__tests__/rejection.js';
import { RegistrationSet } from './registrationSet.js';
import { ReloadDispatcher } from './reloadDispatcher.js';

const none = RegistrationSet.empty();

/** A dispatcher over three index handles of v1 to hand to `next`. */
function setUp(next = fixtureIndexKind('v2')) {
  const old = fixtureIndexKind('v1');
  const handles = [0, 1, 2].map((i) => old.build(valuesTable([i, i + 10]), { column: 'v' }));
  const dispatcher = new ReloadDispatcher(none, none, {
    handoffs: handles.map((h, i) => ({ kind: 'indexKind' as const, name: `idx${i}`, old: h, next })),
  });
  return { handles, next, dispatcher };
}

describe('ReloadDispatcher.prepare', () => {
  it('opens every new handle before dispatch; dispatch then only catches up and reports both', async () => {
    const { handles, next, dispatcher } = setUp();
    const records = await dispatcher.prepare();
    expect(records.map((r) => r.name)).toEqual(['idx0', 'idx1', 'idx2']);
    expect(next.opens).toBe(3);
    const result = await dispatcher.dispatch();
    if (!result.ok) throw result.error;
    expect(next.opens).toBe(3); // nothing reopened inside the pause
    const reopened = result.outcome.resources.get('indexKind', 'idx1') as FixtureIndexHandle;
    expect(reopened.probe(queryBatch([11]), 1).toArray()).toEqual(handles[1]!.probe(queryBatch([11]), 1).toArray());
    expect(result.outcome.handoffs[0]!.detail).toMatchObject({ bytes: 20, byReference: false });
    expect(typeof result.outcome.handoffs[0]!.detail['prepareMs']).toBe('number');
  });

  it('a failure refuses with phase prepare and closes every handle it opened; the old ones are untouched', async () => {
    const next = fixtureIndexKind('v2', { handles: [] }, { open: 'reject', openFailsOnCall: 3 });
    const { handles, dispatcher } = setUp(next);
    const error = await rejection(dispatcher.prepare());
    expect(error).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'prepare', kind: 'indexKind', step: 'open' });
    expect(next.ledger.handles.length).toBe(2);
    expect(next.ledger.handles.every((h) => h.closed)).toBe(true);
    expect(handles.some((h) => h.closed)).toBe(false);
  });

  it('discardPrepared closes what was prepared when the host does not dispatch; it runs once', async () => {
    const { next, dispatcher } = setUp();
    await dispatcher.prepare();
    expect(await dispatcher.discardPrepared()).toEqual([]);
    expect(next.ledger.handles.every((h) => h.closed)).toBe(true);
    expect(await dispatcher.discardPrepared()).toEqual([]);
  });

  it('prepare twice, or after dispatch, is INVALID_ARGUMENT', async () => {
    const a = setUp().dispatcher;
    await a.prepare();
    expect(await rejection(a.prepare())).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'prepare' });
    const b = setUp().dispatcher;
    await b.dispatch();
    expect(await rejection(b.prepare())).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'prepare' });
  });

  it('refresh: only between prepare and dispatch; nothing to do for handoffs without a pre-copy round', async () => {
    const a = setUp().dispatcher;
    expect(await rejection(a.refresh())).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'prepare' });
    const records = await a.prepare();
    expect(a.refreshable).toBe(false); // index handoffs have nothing to pre-copy
    expect(await a.refresh()).toEqual(records);
    await a.dispatch();
    expect(await rejection(a.refresh())).toMatchObject({ code: 'INVALID_ARGUMENT', phase: 'prepare' });
  });

  it('an abort before dispatch discards the prepared handles in the rollback', async () => {
    const controller = new AbortController();
    const old = fixtureIndexKind('v1');
    const next = fixtureIndexKind('v2');
    const handle = old.build(valuesTable([1]), { column: 'v' });
    const dispatcher = new ReloadDispatcher(none, none, {
      handoffs: [{ kind: 'indexKind', name: 'i', old: handle, next }],
      signal: controller.signal,
    });
    await dispatcher.prepare();
    controller.abort(new Error('stop'));
    const result = await dispatcher.dispatch();
    expect(result.ok).toBe(false);
    expect(next.ledger.handles.every((h) => h.closed)).toBe(true);
    expect(handle.closed).toBe(false);
  });
});
