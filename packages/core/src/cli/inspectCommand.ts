import 'reflect-metadata';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { container as rootContainer } from 'tsyringe';
import { ReloadDispatcher } from '../dispatch/reloadDispatcher.js';
import type { RegistrationSet } from '../dispatch/registrationSet.js';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import { snapshotArtifact } from '../loader/artifactSnapshot.js';
import { collectRegistrations } from '../loader/collectRegistrations.js';
import { fsCall } from '../loader/fsErrors.js';
import { importVerifiedPlugin } from '../loader/loadPluginVersion.js';
import { verifyPluginDirectory } from '../loader/verifyDirectory.js';
import type { VerifiedPlugin } from '../loader/verifyDirectory.js';
import type { Print } from './cliCommands.js';
import { registerHostServices } from './hostServices.js';
import { loadTrustedKey } from './keyFiles.js';

/** Options of {@link inspect}. */
export interface InspectOptions {
  /** The artifact of the version to compare against (the one that serves now). */
  readonly against?: string | undefined;
  /** Public key files; both artifacts must verify with one of them unless `unsigned`. */
  readonly trust: readonly string[];
  /** Skip verification: read the directories as they are (code you trust, before signing). */
  readonly unsigned: boolean;
  /** A module whose default export registers host services on the container (see `registerHostServices`). */
  readonly services?: string | undefined;
  /** Milliseconds each `register()` (and the services module) may take. */
  readonly timeoutMs: number;
  /** Where the private temporary runtime directory is made (default: the current directory). */
  readonly runtimeParent?: string | undefined;
}

/**
 * `baton inspect <dir> [--against <dir>]`: the manifest's surfaces and, with `--against`, the compat
 * verdict of every surface from that version to this one. Both artifacts are verified first (unless
 * `unsigned`); the verdict needs their code, which is imported from a copy of the verified bytes in
 * a private temporary runtime directory (removed afterwards), never from the artifact directories.
 * Host services come from the `services` module; `register()` is bounded by `timeoutMs`.
 */
export async function inspect(directory: string, options: InspectOptions, print: Print): Promise<boolean> {
  const keys = await Promise.all(options.trust.map(loadTrustedKey));
  const read = (dir: string): Promise<VerifiedPlugin> =>
    options.unsigned
      ? snapshotArtifact(dir).then((s) => ({ ...s, keyId: 'unsigned' }))
      : verifyPluginDirectory(dir, { trustedKeys: keys });
  const next = await read(directory);
  const { manifest } = next;
  print(
    `${manifest.name} ${manifest.version}${manifest.dependsOn.length ? ` (depends on ${manifest.dependsOn.join(', ')})` : ''}`,
  );
  print(
    `entry ${manifest.entry}; ${Object.keys(manifest.files).length} file(s); ${options.unsigned ? 'NOT VERIFIED (--unsigned)' : `signed by ${next.keyId}`}`,
  );
  for (const s of manifest.surfaces) print(`  ${s.kind.padEnd(18)} ${s.key}`);
  if (options.against === undefined) return true;
  const previous = await read(options.against);
  const parent = resolve(options.runtimeParent ?? '.');
  const runtime = await fsCall({ doing: 'creating a temporary runtime directory in', path: parent }, () =>
    mkdtemp(join(parent, '.baton-inspect-')),
  );
  try {
    const services = rootContainer.createChildContainer();
    if (options.services !== undefined) {
      const scratch = join(runtime, 'services');
      await fsCall({ doing: 'creating', path: scratch }, () => mkdir(scratch, { mode: 0o700 }));
      await registerHostServices(options.services, services, { directory: scratch }, options.timeoutMs);
    }
    // Both copies are installed before any plugin code runs: nothing either runs can change the other.
    const plugins = join(runtime, 'plugins');
    const [oldLoaded, newLoaded] = [
      await importVerifiedPlugin(previous, plugins),
      await importVerifiedPlugin(next, plugins),
    ];
    const collect = (definition: typeof oldLoaded.definition): Promise<RegistrationSet> =>
      collectRegistrations(definition, [], { container: services, timeoutMs: options.timeoutMs }).catch(
        (error: unknown) => {
          throw explainMissingService(error, options.services);
        },
      );
    const report = await new ReloadDispatcher(
      await collect(oldLoaded.definition),
      await collect(newLoaded.definition),
    ).inspectCompat();
    print(`compat ${previous.manifest.version} → ${manifest.version}:`);
    for (const line of report.toLines()) print(`  ${line}`);
    print(
      report.compatible
        ? 'verdict: compatible (a reload can proceed)'
        : `verdict: INCOMPATIBLE (${report.incompatible.length} surface(s) block a reload)`,
    );
    return report.compatible;
  } finally {
    await rm(runtime, { recursive: true, force: true }).catch(() => undefined);
  }
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
