import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { builtinKinds } from '../surfaces/surfaceMap.js';
import { builtinDisciplines, disciplineTable } from './disciplineTable.js';
import type { BuiltinDisciplines } from './disciplineTable.js';
import { indexKindDiscipline } from './indexKindDiscipline.js';

/** The discipline table of the package doc, as `kind → [mode, pauses, text]`. */
function readmeTable(): Map<string, [string, string, string]> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('## Discipline table')).split('\n## ')[0]!;
  const rows = section.split('\n').filter((line) => /^\| `/.test(line));
  return new Map(
    rows.map((row) => {
      const [kind, mode, pauses, text] = row
        .split('|')
        .slice(1, 5)
        .map((cell) => cell.trim().replace(/^`|`$/g, ''));
      return [kind!, [mode!, pauses!, text!]];
    }),
  );
}

describe('the discipline table', () => {
  it('in the package doc matches the code, row for row', () => {
    const doc = readmeTable();
    expect([...doc.keys()]).toEqual([...builtinKinds]);
    for (const kind of builtinKinds) {
      const [mode, pauses, text] = doc.get(kind)!;
      expect(mode, kind).toBe(disciplineTable[kind].mode);
      expect(pauses, kind).toBe(disciplineTable[kind].pausesCallers ? 'yes' : 'no');
      expect(builtinDisciplines[kind].mode, kind).toBe(disciplineTable[kind].mode);
      expect(builtinDisciplines[kind].pausesCallers, kind).toBe(disciplineTable[kind].pausesCallers);
      expect(text.replaceAll('`', ''), kind).toBe(builtinDisciplines[kind].description);
      expect(builtinDisciplines[kind].kind).toBe(kind);
    }
  });

  it('only the stateful kinds hand resources over, and only CDC and CRDT pause their callers', () => {
    const withHandoff = builtinKinds.filter((kind) => builtinDisciplines[kind].handoff !== undefined);
    expect(withHandoff).toEqual(['storageBackend', 'indexKind', 'cdcOutput', 'crdtKind']);
    expect(builtinKinds.filter((kind) => builtinDisciplines[kind].pausesCallers)).toEqual(['cdcOutput', 'crdtKind']);
  });

  it('is enforced by the compiler', () => {
    expectTypeOf(builtinDisciplines.indexKind.mode).toEqualTypeOf<'persistOpen'>();
    // A discipline whose mode disagrees with the table does not type-check as the built-in one:
    // @ts-expect-error mode 'clean' is not the table's 'persistOpen'
    const wrong: BuiltinDisciplines['indexKind'] = { ...indexKindDiscipline, kind: 'indexKind', mode: 'clean' };
    expect(wrong.mode).toBe('clean');
    // @ts-expect-error pausesCallers true is not the table's false
    const pausing: BuiltinDisciplines['indexKind'] = { ...indexKindDiscipline, kind: 'indexKind', pausesCallers: true };
    expect(pausing.pausesCallers).toBe(true);
  });
});
