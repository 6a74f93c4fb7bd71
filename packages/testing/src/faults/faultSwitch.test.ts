import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FaultSwitch, GARBAGE } from './faultSwitch.js';
import { describeFault, faultPlans } from './faultPlan.js';
import fc from 'fast-check';

describe('FaultSwitch', () => {
  it('fires once, at the planned step, only in the version playing its role', async () => {
    const faults = new FaultSwitch().arm({ step: 'open', mode: 'reject' }, { old: '1', next: '2' });
    expect(faults.run('open', '1', () => 'old opens fine')).toBe('old opens fine'); // open is a step of the new version
    expect(faults.run('persist', '2', () => 'other step')).toBe('other step');
    await expect(faults.run('open', '2', () => Promise.resolve('never'))).rejects.toThrow(
      'injected fault: open rejects',
    );
    expect(faults.fired).toEqual({ step: 'open', mode: 'reject' });
    expect(faults.run('open', '2', () => 'second open')).toBe('second open');
  });

  it('throws, hangs, returns garbage or aborts the reload and proceeds', async () => {
    const faults = new FaultSwitch();
    faults.arm({ step: 'persist', mode: 'throw' }, { old: '1', next: '2' });
    expect(() => faults.run('persist', '1', () => 1)).toThrow('injected fault: persist throws');
    faults.arm({ step: 'checkpoint', mode: 'garbage' }, { old: '1', next: '2' });
    expect(faults.run('checkpoint', '1', () => 5n)).toBe(GARBAGE);
    faults.arm({ step: 'start', mode: 'abort' }, { old: '1', next: '2' });
    expect(faults.signal.aborted).toBe(false);
    expect(faults.run('start', '2', () => 'started')).toBe('started');
    expect(faults.signal.aborted).toBe(true);
    faults.arm({ step: 'register', mode: 'hang' }, { old: '1', next: '2' });
    let called = false;
    const hanging = faults.run('register', '2', () => ((called = true), Promise.resolve(1)));
    // Once every microtask queued so far has run (one turn of the event loop), it has not settled.
    expect(await Promise.race([hanging, setImmediate('still hanging')])).toBe('still hanging');
    expect(called).toBe(false);
  });

  it('generates only plans that can fail, and describes them', () => {
    for (const plan of fc.sample(faultPlans(), 200)) {
      if (plan.mode === 'garbage') expect(['register', 'shutdown']).not.toContain(plan.step);
    }
    expect(describeFault({ step: 'open', mode: 'garbage' })).toBe('open returns garbage (new version)');
    expect(describeFault(undefined)).toBe('no fault');
  });
});
