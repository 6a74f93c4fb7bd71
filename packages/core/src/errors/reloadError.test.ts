import { describe, expect, it } from 'vitest';
import { reloadErrorCodes } from './codes.js';
import { ReloadError, isReloadError, toReloadError } from './reloadError.js';
import type * as ReloadErrorModule from './reloadError.js';

describe('ReloadError', () => {
  it('carries code, phase, kind, key, plugin, step and cause', () => {
    const cause = new Error('disk full');
    const error = new ReloadError({
      code: 'HANDOFF_FAILED',
      phase: 'dispatch',
      kind: 'indexKind',
      key: 'orders',
      plugin: 'geo',
      step: 'persist',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'ReloadError',
      code: 'HANDOFF_FAILED',
      phase: 'dispatch',
      kind: 'indexKind',
      key: 'orders',
      plugin: 'geo',
      step: 'persist',
    });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(reloadErrorCodes.HANDOFF_FAILED.meaning);
    expect(error.retryable).toBe(false);
  });

  it('says what still serves', () => {
    const error = new ReloadError({ code: 'DRAIN_TIMEOUT', message: 'calls did not drain', stillServing: 'geo 1.0.0' });
    expect(error.message).toBe('calls did not drain (geo 1.0.0 still serves; nothing was lost)');
    expect(error.retryable).toBe(true);
  });

  it('is recognised across two copies of the module graph', async () => {
    // A second instance of the same module, as a hot-reload host holding two copies would have.
    const specifier = './reloadError.js?copy=1';
    const copy = (await import(/* @vite-ignore */ specifier)) as typeof ReloadErrorModule;
    expect(copy.ReloadError).not.toBe(ReloadError);
    const foreign = new copy.ReloadError({ code: 'ABORTED' });
    expect(isReloadError(foreign)).toBe(true);
    expect(foreign instanceof ReloadError).toBe(true);
    expect(copy.isReloadError(new ReloadError({ code: 'ABORTED' }))).toBe(true);
    expect(toReloadError(foreign)).toBe(foreign);
  });

  it('does not recognise look-alikes', () => {
    expect(isReloadError(new Error('x'))).toBe(false);
    expect(isReloadError({ name: 'ReloadError', code: 'ABORTED' })).toBe(false);
    expect(isReloadError(null)).toBe(false);
    expect({ code: 'ABORTED' } instanceof ReloadError).toBe(false);
  });

  it('maps unknown failures to typed errors', () => {
    expect(toReloadError(new DOMException('x', 'AbortError')).code).toBe('ABORTED');
    expect(toReloadError(new DOMException('x', 'TimeoutError')).code).toBe('STEP_TIMEOUT');
    const wrapped = toReloadError('boom', { code: 'HANDOFF_FAILED', phase: 'dispatch' });
    expect(wrapped).toMatchObject({ code: 'HANDOFF_FAILED', phase: 'dispatch', message: 'boom', cause: 'boom' });
    expect(toReloadError(new Error('x')).code).toBe('INTERNAL');
  });

  it('adds context without losing what it has', () => {
    const inner = new ReloadError({
      code: 'HANDOFF_FAILED',
      kind: 'cdcOutput',
      key: 's1',
      message: 'start failed',
      details: { a: 1 },
    });
    const outer = inner.with({ plugin: 'cdc', kind: 'other', stillServing: 'cdc 1', details: { b: 2 } });
    expect(outer).toMatchObject({
      code: 'HANDOFF_FAILED',
      kind: 'cdcOutput',
      key: 's1',
      plugin: 'cdc',
      details: { a: 1, b: 2 },
    });
    expect(outer.message).toBe('start failed (cdc 1 still serves; nothing was lost)');
    expect(JSON.parse(JSON.stringify(outer))).toMatchObject({ code: 'HANDOFF_FAILED', plugin: 'cdc' });
  });

  it('has a meaning for every code', () => {
    for (const [code, entry] of Object.entries(reloadErrorCodes)) {
      expect(entry.meaning.length, code).toBeGreaterThan(10);
      expect(typeof entry.retryable).toBe('boolean');
    }
  });
});
