import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ReloadError } from '../errors/reloadError.js';
import { snapshotArtifact } from '../loader/artifactSnapshot.js';
import { fsCall } from '../loader/fsErrors.js';
import { isAlive } from '../loader/runtimeLeftovers.js';
import { verifyPluginDirectory } from '../loader/verifyDirectory.js';
import type { VerifiedPlugin } from '../loader/verifyDirectory.js';
import type { Print } from './cliCommands.js';
import { runInspectChild } from './inspectProcess.js';
import type { InspectOutcome } from './inspectProcess.js';
import { loadTrustedKey } from './keyFiles.js';

/** Options of {@link inspect}. Paths are absolute. */
export interface InspectOptions {
  /** The artifact of the version to compare against (the one that serves now). */
  readonly against?: string | undefined;
  /** Public key files; both artifacts must verify with one of them unless `unsigned`. */
  readonly trust: readonly string[];
  /** Skip verification: read the directories as they are (code you trust, before signing). */
  readonly unsigned: boolean;
  /** A module whose default export registers host services on the container (see `runHostServices`). */
  readonly services?: string | undefined;
  /** Modules a host shares with bundled artifacts (`loadPluginVersion`'s `shared`), by specifier. */
  readonly shared?: readonly string[] | undefined;
  /** Milliseconds each step that runs plugin code (or the services module) may take. */
  readonly timeoutMs: number;
  /** Where the private temporary runtime directory is made. */
  readonly runtimeParent: string;
}

/** The signals that stop an inspection cleanly (the child killed, the runtime directory removed). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** A temporary runtime directory of `baton inspect`, named after the process that made it. */
const TEMP_NAME = /^\.baton-inspect-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * `baton inspect <dir> [--against <dir>]`: the manifest's surfaces and, with `--against`, the compat
 * verdict of every surface from that version to this one. Both artifacts are verified first (unless
 * `unsigned`), in this process, before any of their code runs. The verdict needs their code: it runs
 * in a child process ({@link runInspectChild}) that imports a copy of the verified bytes from a
 * private temporary runtime directory, and that is killed when a step exceeds `timeoutMs`, when it
 * misbehaves, or on SIGINT/SIGTERM (then this rejects with `ABORTED`, `details.signal` naming the
 * signal). The directory is removed afterwards in every case; ones left by a process that was killed
 * outright (SIGKILL) are removed by the next inspect in the same place.
 */
export async function inspect(directory: string, options: InspectOptions, print: Print): Promise<boolean> {
  const keys = await Promise.all(options.trust.map(loadTrustedKey));
  const read = (dir: string): Promise<VerifiedPlugin> =>
    options.unsigned
      ? snapshotArtifact(dir).then((s) => ({ ...s, keyId: 'unsigned', directory: resolve(dir) }))
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

  const outcome = await runInChild({ previous, next }, options);
  print(`compat ${previous.manifest.version} → ${manifest.version}:`);
  for (const line of outcome.lines) print(`  ${line}`);
  print(
    outcome.incompatible === 0
      ? 'verdict: compatible (a reload can proceed)'
      : `verdict: INCOMPATIBLE (${outcome.incompatible} surface(s) block a reload)`,
  );
  return outcome.incompatible === 0;
}

/** How {@link runInChild} runs the plugins' code. */
export type ChildOptions = Pick<InspectOptions, 'services' | 'shared' | 'timeoutMs' | 'runtimeParent'>;

/**
 * Runs an inspection of `versions` in a child process (see {@link runInspectChild}), from a
 * temporary runtime directory in `options.runtimeParent` removed afterwards, stopped on SIGINT or
 * SIGTERM (then this rejects with `ABORTED`). Without `previous`, it only collects what `next`
 * registers.
 */
export async function runInChild(
  versions: { previous?: VerifiedPlugin; next: VerifiedPlugin },
  options: ChildOptions,
  command: 'inspect' | 'sign' = 'inspect',
): Promise<InspectOutcome> {
  const interrupt = new AbortController();
  const stops = STOP_SIGNALS.map((name) => {
    const stop = (): void => {
      interrupt.abort(
        new ReloadError({
          code: 'ABORTED',
          phase: 'stage',
          message: `${command} was interrupted by ${name}: its plugin process was stopped and its temporary runtime directory removed`,
          details: { signal: name },
        }),
      );
    };
    process.on(name, stop);
    return () => process.off(name, stop);
  });
  let outcome: InspectOutcome;
  try {
    await sweepLeftovers(options.runtimeParent);
    const runtime = await fsCall(
      { doing: 'creating a temporary runtime directory in', path: options.runtimeParent },
      () => mkdtemp(join(options.runtimeParent, `.baton-inspect-${process.pid}-`)),
    );
    try {
      outcome = await runInspectChild(
        { ...versions, services: options.services, shared: options.shared, timeoutMs: options.timeoutMs, runtime },
        interrupt.signal,
      );
    } finally {
      await rm(runtime, { recursive: true, force: true }).catch(() => undefined);
    }
  } finally {
    for (const off of stops) off();
  }
  if (interrupt.signal.aborted) throw interrupt.signal.reason;
  return outcome;
}

/** Removes temporary runtime directories in `parent` left by inspect processes that no longer run. */
async function sweepLeftovers(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const match = TEMP_NAME.exec(name);
    if (match && !isAlive(Number(match[1])))
      await rm(join(parent, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
