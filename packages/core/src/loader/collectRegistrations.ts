import 'reflect-metadata';
import { container } from 'tsyringe';
import { DisciplineSet } from '../disciplines/disciplineSet.js';
import type { AnyDiscipline } from '../disciplines/disciplineSet.js';
import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { validatePlugin } from '../host/pluginDefinition.js';
import { createRegistrar } from '../host/registrar.js';
import { createVersionScope, disposeScope } from '../host/scope.js';

/**
 * Runs a plugin's `register()` outside any host and returns what it registers (each provider
 * validated by its kind's discipline). For tooling: `baton inspect`, compat reports in CI.
 */
export async function collectRegistrations(
  plugin: unknown,
  disciplines: readonly AnyDiscipline[] = [],
): Promise<RegistrationSet> {
  const definition = validatePlugin(plugin);
  const info = { name: definition.name, version: definition.version, epoch: 0 };
  const scope = createVersionScope(container.createChildContainer(), info);
  const staging = createRegistrar(
    info,
    DisciplineSet.builtin().with(...disciplines),
    scope,
    new AbortController().signal,
  );
  try {
    await definition.register(staging.registrar);
    return staging.seal();
  } finally {
    staging.seal();
    await disposeScope(scope, staging.retireHooks);
  }
}
