import { describe, expect, it } from 'vitest';
import { isReloadError } from '../errors/reloadError.js';
import { StepRecorder } from './stepRecorder.js';

const recorder = (signal = new AbortController().signal, timeoutMs = 50): StepRecorder =>
  new StepRecorder('cdcOutput', 'orders', signal, timeoutMs, 'dispatch');

describe('StepRecorder.call', () => {
  it('gives the steps of one resource one signal while none is abandoned', async () => {
    const steps = recorder();
    const first = await steps.call('checkpoint', (signal) => signal);
    const second = await steps.call('shutdown', async (signal) => signal);
    expect(second).toBe(first);
    expect(first.aborted).toBe(false);
  });

  it('aborts the signal of an abandoned step and gives the next step a fresh one', async () => {
    const steps = recorder(undefined, 10);
    let hung: AbortSignal | undefined;
    const error: unknown = await steps
      .call('checkpoint', (signal) => {
        hung = signal;
        return new Promise<never>(() => undefined);
      })
      .catch((e: unknown) => e);
    expect(isReloadError(error) && error.code === 'STEP_TIMEOUT' && error.step === 'checkpoint').toBe(true);
    expect(hung?.aborted).toBe(true);
    const next = await steps.call('restart old', (signal) => signal);
    expect(next).not.toBe(hung);
    expect(next.aborted).toBe(false);
  });

  it('names the step, kind and resource of a failure and of an unusable value', async () => {
    const steps = recorder();
    await expect(
      steps.call('start', () => {
        throw new Error('disk gone');
      }),
    ).rejects.toMatchObject({ code: 'HANDOFF_FAILED', step: 'start', kind: 'cdcOutput', key: 'orders' });
    await expect(
      steps.call('checkpoint', () => -1n, {
        check: (v) => (typeof v === 'bigint' && v < 0n ? 'negative LSN' : undefined),
      }),
    ).rejects.toThrow(/checkpoint\(\) returned an unusable value: negative LSN/);
  });

  it('reports an aborted reload as ABORTED', async () => {
    const controller = new AbortController();
    const steps = recorder(controller.signal, 10_000);
    const call = steps.call('checkpoint', () => new Promise<never>(() => undefined));
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED', step: 'checkpoint' });
  });
});
