import type { ReloadErrorCode, ReloadPhase } from '../errors/codes.js';
import { ReloadError, isReloadError } from '../errors/reloadError.js';
import type { VerifiedPlugin } from '../loader/verifyDirectory.js';

/**
 * The messages between `baton inspect` and the child process that runs the plugins' code. The
 * parent sends one {@link InspectJob}; the child reports each step before it starts it, then one
 * result. The parent decides the steps and their order ({@link inspectSteps}) and the time each may
 * take: a child that reports anything else is stopped.
 */
export interface InspectJob {
  /** The version to compare against; absent: only `next`'s surfaces are collected (`baton sign`). */
  readonly previous?: VerifiedPlugin | undefined;
  readonly next: VerifiedPlugin;
  /** Absolute path of the `--services` module. */
  readonly services?: string | undefined;
  /** Modules shared with bundled artifacts (`--shared`), resolved from the runtime directory. */
  readonly shared?: readonly string[] | undefined;
  readonly timeoutMs: number;
  /** The private temporary runtime directory (absolute). */
  readonly runtime: string;
}

/** What the child sends. */
export type InspectMessage =
  | { readonly type: 'step'; readonly step: string }
  | {
      readonly type: 'done';
      readonly lines: readonly string[];
      readonly incompatible: number;
      /** What `next` registered. */
      readonly surfaces: readonly { readonly kind: string; readonly key: string }[];
    }
  | { readonly type: 'failed'; readonly error: TransportedError };

/** A `ReloadError` as it crosses the process boundary. */
export interface TransportedError {
  readonly code: ReloadErrorCode;
  readonly phase?: ReloadPhase | undefined;
  readonly plugin?: string | undefined;
  readonly kind?: string | undefined;
  readonly key?: string | undefined;
  readonly message: string;
}

/** One step of an inspection: its name, whether it runs code Baton does not control, and how it fails. */
export interface InspectStep {
  readonly step: string;
  /** False for the install, which runs only Baton's code and comes before any plugin code. */
  readonly runsForeignCode: boolean;
  /** The error when the step does not finish in time or the child dies during it. */
  readonly failure: (what: string) => ReloadError;
}

/** The steps of an inspection of `job`, in the order the child must report them. */
export function inspectSteps(job: Pick<InspectJob, 'previous' | 'next' | 'services'>): InspectStep[] {
  const named = (v: VerifiedPlugin): string => `${v.manifest.name} ${v.manifest.version}`;
  const plugin = (v: VerifiedPlugin) => ({ plugin: v.manifest.name });
  const steps: InspectStep[] = [
    {
      step: 'install',
      runsForeignCode: false,
      failure: (what) =>
        new ReloadError({ code: 'IO_FAILED', phase: 'load', message: `installing the copies ${what}` }),
    },
  ];
  if (job.services !== undefined) {
    const services = job.services;
    const fail = (doing: string) => (what: string) =>
      new ReloadError({
        code: 'INVALID_ARGUMENT',
        phase: 'stage',
        message: `--services ${services}: ${doing} ${what}`,
      });
    steps.push(
      { step: 'services:import', runsForeignCode: true, failure: fail('importing it') },
      { step: 'services:register', runsForeignCode: true, failure: fail('registering the host services') },
    );
  }
  const versions = (
    job.previous === undefined
      ? [['next', job.next]]
      : [
          ['previous', job.previous],
          ['next', job.next],
        ]
  ) as readonly (readonly ['previous' | 'next', VerifiedPlugin])[];
  for (const [which, v] of versions) {
    steps.push({
      step: `import:${which}`,
      runsForeignCode: true,
      failure: (what) =>
        new ReloadError({
          code: 'INVALID_PLUGIN',
          phase: 'load',
          ...plugin(v),
          message: `importing ${named(v)} (its module code) ${what}`,
        }),
    });
  }
  for (const [which, v] of versions) {
    steps.push({
      step: `register:${which}`,
      runsForeignCode: true,
      failure: (what) =>
        new ReloadError({
          code: 'REGISTRATION_FAILED',
          phase: 'stage',
          ...plugin(v),
          message: `register() of ${named(v)} ${what}`,
        }),
    });
  }
  const previous = job.previous;
  if (previous === undefined) return steps;
  steps.push({
    step: 'compat',
    runsForeignCode: true,
    failure: (what) =>
      new ReloadError({
        code: 'SCHEMA_INCOMPATIBLE',
        phase: 'compat',
        message: `the compat checks of ${named(previous)} → ${named(job.next)} ${what}`,
      }),
  });
  return steps;
}

/**
 * `error` as the child sends it: a `ReloadError`'s own fields, or else (an error Baton did not make)
 * `step`'s failure, saying what was thrown.
 */
export function transport(error: unknown, step: InspectStep | undefined): TransportedError {
  const detail = error instanceof Error ? error.message : String(error);
  const e = isReloadError(error)
    ? error
    : (step?.failure(`failed: ${detail}`) ??
      new ReloadError({ code: 'IO_FAILED', message: `inspect failed: ${detail}` }));
  return { code: e.code, phase: e.phase, plugin: e.plugin, kind: e.kind, key: e.key, message: e.message };
}

/** The `ReloadError` the child reported. */
export function received(error: TransportedError): ReloadError {
  return new ReloadError({
    code: error.code,
    message: error.message,
    ...(error.phase === undefined ? {} : { phase: error.phase }),
    ...(error.plugin === undefined ? {} : { plugin: error.plugin }),
    ...(error.kind === undefined ? {} : { kind: error.kind }),
    ...(error.key === undefined ? {} : { key: error.key }),
  });
}
