import { ReloadError } from '../errors/reloadError.js';
import { builtinKinds } from '../surfaces/surfaceMap.js';
import type { KindDiscipline } from './discipline.js';
import { builtinDisciplines } from './disciplineTable.js';
import { shapeProblems } from './shape.js';

/** A discipline of any provider and resource type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDiscipline = KindDiscipline<any, any>;

/**
 * The disciplines a host or dispatcher knows, by surface kind: the built-in ones plus any the host
 * adds. Immutable: {@link DisciplineSet.with} returns a new set.
 */
export class DisciplineSet {
  readonly #byKind: ReadonlyMap<string, KindDiscipline>;

  private constructor(byKind: ReadonlyMap<string, KindDiscipline>) {
    this.#byKind = byKind;
  }

  static readonly #builtin = new DisciplineSet(
    new Map(builtinKinds.map((kind) => [kind, builtinDisciplines[kind] as KindDiscipline])),
  );

  /** The eight built-in disciplines. */
  static builtin(): DisciplineSet {
    return DisciplineSet.#builtin;
  }

  /** A set with `disciplines` added (a discipline for an existing kind replaces it). */
  with(...disciplines: readonly AnyDiscipline[]): DisciplineSet {
    const next = new Map(this.#byKind);
    for (const discipline of disciplines) {
      const problems = shapeProblems(discipline, {
        strings: ['kind', 'mode', 'description'],
        methods: ['keyOf', 'validate'],
        optionalMethods: ['checkResource', 'open', 'checkCompat', 'handoff', 'close'],
      });
      if (typeof (discipline as { pausesCallers?: unknown }).pausesCallers !== 'boolean')
        problems.push("'pausesCallers' must be a boolean");
      if (problems.length > 0) {
        throw new ReloadError({
          code: 'INVALID_ARGUMENT',
          message: `invalid discipline: ${problems.join('; ')}`,
          kind: String((discipline as { kind?: unknown }).kind),
        });
      }
      next.set(discipline.kind, discipline as KindDiscipline);
    }
    return new DisciplineSet(next);
  }

  /** The discipline of `kind`, or undefined. */
  get(kind: string): KindDiscipline | undefined {
    return this.#byKind.get(kind);
  }

  /** The discipline of `kind`; throws `UNKNOWN_KIND` when there is none. */
  require(kind: string): KindDiscipline {
    const discipline = this.#byKind.get(kind);
    if (!discipline) {
      throw new ReloadError({
        code: 'UNKNOWN_KIND',
        kind,
        message: `no discipline is registered for surface kind '${kind}' (known: ${[...this.#byKind.keys()].join(', ')})`,
      });
    }
    return discipline;
  }

  /** Every known kind. */
  kinds(): string[] {
    return [...this.#byKind.keys()];
  }
}
