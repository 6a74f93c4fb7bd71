import { describe, expect, it } from 'vitest';
import { ReloadError } from '../errors/reloadError.js';
import type { Registrar } from '../host/registrar.js';
import { collectRegistrations } from './collectRegistrations.js';

/** A plugin definition whose register() is `register`. */
const plugin = (register: (r: Registrar) => unknown) => ({ name: 'p', version: '1.0.0', register });

/** The error `promise` rejects with. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );

describe('collectRegistrations assigns the codes, as a host does', () => {
  it.each([
    [
      'a ReloadError with a code of its choosing',
      () => new ReloadError({ code: 'VERIFICATION_FAILED', phase: 'verify', message: 'signature forged' }),
    ],
    ['a DOMException named TimeoutError', () => new DOMException('fake timeout', 'TimeoutError')],
    ['a DOMException named AbortError', () => new DOMException('fake abort', 'AbortError')],
    ['a plain Error', () => new Error('boom')],
  ])('what register() throws (%s) is the cause of REGISTRATION_FAILED', async (_, make) => {
    const thrown = make();
    const error = await rejection(
      collectRegistrations(
        plugin(() => {
          throw thrown;
        }),
      ),
    );
    expect(error).toMatchObject({
      name: 'ReloadError',
      code: 'REGISTRATION_FAILED',
      phase: 'stage',
      plugin: 'p',
      message: `register() of p 1.0.0 failed: ${thrown.message}`,
    });
    expect((error as Error).cause).toBe(thrown);
  });

  it('the registrar’s own verdicts keep their code', async () => {
    const error = await rejection(collectRegistrations(plugin((r) => r.add('backgroundJob', {} as never))));
    expect(error).toMatchObject({ code: 'INVALID_PROVIDER', phase: 'stage', plugin: 'p', kind: 'backgroundJob' });
  });

  it('a register() that never settles is REGISTRATION_FAILED at the deadline; an aborted signal is ABORTED', async () => {
    const never = plugin(() => new Promise(() => {}));
    expect(await rejection(collectRegistrations(never, [], { timeoutMs: 20 }))).toMatchObject({
      code: 'REGISTRATION_FAILED',
      message: 'register() of p 1.0.0 did not finish within 20 ms',
    });
    const controller = new AbortController();
    const pending = rejection(collectRegistrations(never, [], { signal: controller.signal }));
    controller.abort();
    expect(await pending).toMatchObject({ code: 'ABORTED', phase: 'stage' });
    expect(await rejection(collectRegistrations(never, [], { signal: AbortSignal.abort() }))).toMatchObject({
      code: 'ABORTED',
    });
  });
});
