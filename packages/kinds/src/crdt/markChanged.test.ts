import { describe, expect, it } from 'vitest';
import { gCounter } from './gCounter.js';
import { lwwRegister } from './lwwRegister.js';
import { orSet } from './orSet.js';
import { pnCounter } from './pnCounter.js';

/**
 * `changed()` of each kind's marks: false until the state changes, true from the first change on,
 * false after ops and merges that change nothing, and `RESOURCE_CLOSED` once released.
 */
describe('mark changed()', () => {
  it('g-counter: an add changes it; merging a state it already covers does not', () => {
    const s = gCounter().empty();
    s.apply({ replica: 'a', by: 2 });
    const covered = gCounter().empty();
    covered.apply({ replica: 'a', by: 1 });
    const m = s.mark();
    expect(m.changed()).toBe(false);
    s.merge(covered); // 1 ≤ 2: nothing changes
    expect(m.changed()).toBe(false);
    s.apply({ replica: 'b', by: 1 });
    expect(m.changed()).toBe(true);
    m.release();
    expect(() => m.changed()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });

  it('pn-counter: a decrement alone changes it', () => {
    const s = pnCounter().empty();
    const m = s.mark();
    expect(m.changed()).toBe(false);
    s.apply({ replica: 'a', by: -1 });
    expect(m.changed()).toBe(true);
    expect(s.mark().changed()).toBe(false); // a later mark starts clean
  });

  it('lww-register: a losing write does not change it, a winning one does', () => {
    const s = lwwRegister().empty();
    s.apply({ replica: 'a', timestamp: 5, value: 'x' });
    const m = s.mark();
    s.apply({ replica: 'a', timestamp: 4, value: 'older' });
    expect(m.changed()).toBe(false);
    s.apply({ replica: 'b', timestamp: 6, value: 'newer' });
    expect(m.changed()).toBe(true);
    m.release();
    expect(() => m.changed()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });

  it('or-set: removing an absent element does not change it; an add, a remove or a merge does', () => {
    const s = orSet().empty();
    s.apply({ replica: 'a', add: 'x' });
    const first = s.mark();
    s.apply({ remove: 'absent' });
    expect(first.changed()).toBe(false);
    s.apply({ remove: 'x' });
    expect(first.changed()).toBe(true);
    const second = s.mark();
    const other = orSet().empty();
    other.apply({ replica: 'b', add: 'y' });
    s.merge(other);
    expect(second.changed()).toBe(true);
    const third = s.mark();
    s.merge(other); // already merged: nothing new
    expect(third.changed()).toBe(false);
    first.release(); // marks are independent: releasing one leaves the others
    expect(second.changed()).toBe(true);
    expect(() => first.changed()).toThrow(expect.objectContaining({ code: 'RESOURCE_CLOSED' }));
  });
});
