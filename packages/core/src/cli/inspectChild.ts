// The child process of `baton inspect`: everything that runs code Baton does not control (the
// plugins' module top level, their register(), the compat checks, the --services module) runs here,
// so that the CLI can stop it at its deadline whatever that code does (a loop that never yields, a
// top-level await that never settles). Started by inspectProcess.ts with an IPC channel; receives
// one InspectJob, reports each step before it starts it, then one result.
import 'reflect-metadata';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { container as rootContainer } from 'tsyringe';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';
import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { collectRegistrations } from '../loader/collectRegistrations.js';
import { fsCall } from '../loader/fsErrors.js';
import { installPlugin } from '../loader/installRuntime.js';
import { importVerifiedPlugin } from '../loader/loadPluginVersion.js';
import type { PluginDefinition } from '../host/pluginDefinition.js';
import { settingSpecs } from '../settings/settingSpecs.js';
import { importHostServices, runHostServices } from './hostServices.js';
import { inspectSteps, transport } from './inspectProtocol.js';
import type { InspectJob, InspectMessage, InspectStep } from './inspectProtocol.js';

const send = (message: InspectMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => {
      resolve();
    });
  });

// The CLI is gone (it was killed, or closed the channel): nothing is waiting for a result.
process.once('disconnect', () => process.exit(1));
process.once('message', (job: InspectJob) => void run(job));

async function run(job: InspectJob): Promise<void> {
  const steps = inspectSteps(job);
  let current: InspectStep | undefined;
  const step = (name: string): Promise<void> => {
    current = steps.find((s) => s.step === name);
    return send({ type: 'step', step: name });
  };
  let result: InspectMessage;
  try {
    await step('install');
    // Both copies are installed before any plugin code runs: nothing either runs can change the other.
    const plugins = join(job.runtime, 'plugins');
    if (job.previous !== undefined) await installPlugin(job.previous, plugins);
    await installPlugin(job.next, plugins);
    const services = rootContainer.createChildContainer();
    if (job.services !== undefined) {
      const scratch = join(job.runtime, 'services');
      await fsCall({ doing: 'creating', path: scratch }, () => mkdir(scratch, { mode: 0o700 }));
      await step('services:import');
      const register = await importHostServices(job.services);
      await step('services:register');
      await runHostServices(job.services, register, services, { directory: scratch }, job.timeoutMs);
    }
    const collect = (definition: PluginDefinition): Promise<RegistrationSet> =>
      collectRegistrations(definition, [], { container: services, timeoutMs: job.timeoutMs }).catch(
        (error: unknown) => {
          throw explainMissingService(error, job.services);
        },
      );
    if (job.previous === undefined) {
      await step('import:next');
      const loaded = await importVerifiedPlugin(job.next, plugins, await importShared(job));
      await step('register:next');
      const set = await collect(loaded.definition);
      result = { type: 'done', lines: [], incompatible: 0, surfaces: surfacesOf(set) };
    } else {
      await step('import:previous');
      const shared = await importShared(job);
      const oldLoaded = await importVerifiedPlugin(job.previous, plugins, shared);
      await step('import:next');
      const newLoaded = await importVerifiedPlugin(job.next, plugins, shared);
      await step('register:previous');
      const oldSet = await collect(oldLoaded.definition);
      await step('register:next');
      const newSet = await collect(newLoaded.definition);
      await step('compat');
      const report = await new ReloadDispatcher(oldSet, newSet, {
        compatTimeoutMs: job.timeoutMs,
        concurrency: settingSpecs.concurrency.max, // every check at once: the step takes one timeout
      }).inspectCompat();
      result = {
        type: 'done',
        lines: report.toLines(),
        incompatible: report.incompatible.length,
        surfaces: surfacesOf(newSet),
      };
    }
  } catch (error) {
    result = { type: 'failed', error: transport(error, current) };
  }
  await send(result);
  process.exit(0); // whatever the plugins left running (timers, sockets) ends with this process
}

/** The surfaces of a registration set, as a manifest lists them. */
function surfacesOf(set: RegistrationSet): { kind: string; key: string }[] {
  return [...set].map(({ kind, key }) => ({ kind, key }));
}

/**
 * The `--shared` modules a bundled artifact gets, imported as the project's own code imports them:
 * resolved from the runtime directory (inside the project), one copy each.
 */
async function importShared(job: InspectJob): Promise<Record<string, unknown> | undefined> {
  if (job.shared === undefined || job.shared.length === 0) return undefined;
  const resolveFrom = createRequire(join(job.runtime, 'shared.cjs'));
  const entries = await Promise.all(
    job.shared.map(async (specifier): Promise<[string, unknown]> => {
      let url: string;
      try {
        url = pathToFileURL(resolveFrom.resolve(specifier)).href;
      } catch (error) {
        throw new ReloadError({
          code: 'INVALID_ARGUMENT',
          phase: 'load',
          message: `--shared ${specifier}: not found from ${job.runtime} (install it in the project, or run inspect with --runtime inside it)`,
          cause: error,
        });
      }
      return [specifier, await import(url)];
    }),
  );
  return Object.fromEntries(entries);
}

/** Adds how to supply a host service to tsyringe's "unregistered dependency token" error. */
function explainMissingService(error: unknown, services: string | undefined): unknown {
  const text = error instanceof Error ? `${error.message} ${String((error.cause as Error | undefined)?.message)}` : '';
  const token = /unregistered dependency token: "?([^"\n]+)"?/.exec(text)?.[1];
  if (token === undefined || !isReloadError(error)) return error;
  return new ReloadError({
    code: error.code,
    phase: 'stage',
    ...(error.plugin === undefined ? {} : { plugin: error.plugin }),
    message: `${error.message}. The plugin resolves the host service '${token}', which ${
      services === undefined ? 'no --services module registers' : `${services} does not register`
    }: pass --services <module> whose default export registers it (see baton --help)`,
    cause: error.cause ?? error,
  });
}
