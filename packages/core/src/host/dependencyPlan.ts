import { ReloadError } from '../errors/reloadError.js';

/**
 * Orders `names` so every plugin comes after the plugins it depends on (edges outside `names` are
 * ignored); throws `DEPENDENCY_CYCLE` naming the cycle.
 */
export function dependencyOrder(names: readonly string[], dependsOn: (name: string) => readonly string[]): string[] {
  const inSet = new Set(names);
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    const seen = state.get(name);
    if (seen === 'done') return;
    if (seen === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new ReloadError({
        code: 'DEPENDENCY_CYCLE',
        phase: 'validate',
        plugin: name,
        message: `plugin dependencies form a cycle: ${cycle.join(' → ')}`,
      });
    }
    state.set(name, 'visiting');
    for (const dep of dependsOn(name)) if (inSet.has(dep)) visit(dep, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of names) visit(name, []);
  return order;
}
