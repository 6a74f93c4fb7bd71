import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ReloadError } from '../errors/reloadError.js';
import { MAX_TIMER_MS } from '../settings/settingSpecs.js';
import { inspectSteps, received } from './inspectProtocol.js';
import type { InspectJob, InspectMessage, InspectStep } from './inspectProtocol.js';

/** What the child computed: the compat report's lines and how many surfaces block a reload. */
export interface InspectOutcome {
  readonly lines: readonly string[];
  readonly incompatible: number;
  /** What the inspected version registered. */
  readonly surfaces: readonly { readonly kind: string; readonly key: string }[];
}

/**
 * How long past `--timeout` the CLI waits for a step before it stops the child: the child's own
 * deadline fires first and reports precisely; this is for code that never yields.
 */
export const STOP_GRACE_MS = 1_000;

/**
 * Runs `job` in a child process and returns its outcome. The CLI decides the steps and their order
 * ({@link inspectSteps}): each step that runs foreign code (the plugins' modules, `register()`, the
 * compat checks, the `--services` module) may take `timeoutMs` (+ {@link STOP_GRACE_MS}); when one
 * does not finish, when the child reports anything out of order, ends early, or when `signal`
 * aborts, the child is killed (SIGKILL) and this rejects with a `ReloadError` saying which step.
 * It settles only after the child has exited.
 */
export async function runInspectChild(job: InspectJob, signal: AbortSignal): Promise<InspectOutcome> {
  const steps = inspectSteps(job);
  const { script, execArgv } = childEntry();
  const child = fork(script, [], { execArgv, serialization: 'advanced', stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  // The plugins' own output is not the CLI's: it goes to stderr.
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  // 'close' comes after the exit, once its output and IPC channel are drained (no message is lost).
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => {
      resolve();
    });
    child.once('error', () => {
      resolve();
    });
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<InspectOutcome>((resolve, reject) => {
      let index = -1;
      const current = (): InspectStep => steps[Math.max(index, 0)]!;
      const fail = (error: unknown): void => {
        clearTimeout(timer);
        reject(error);
      };
      child.on('message', (raw: unknown) => {
        const message = raw as InspectMessage;
        const expected = steps[index + 1];
        if (message?.type === 'step' && expected !== undefined && message.step === expected.step) {
          index++;
          clearTimeout(timer);
          if (expected.runsForeignCode)
            timer = setTimeout(
              () => {
                fail(expected.failure(`did not finish within ${job.timeoutMs} ms (its process was stopped)`));
              },
              Math.min(MAX_TIMER_MS, job.timeoutMs + STOP_GRACE_MS),
            );
        } else if (message?.type === 'done' && index === steps.length - 1 && isOutcome(message)) {
          clearTimeout(timer);
          resolve({
            lines: [...message.lines],
            incompatible: message.incompatible,
            surfaces: message.surfaces.map(({ kind, key }) => ({ kind, key })),
          });
        } else if (message?.type === 'failed' && typeof message.error?.message === 'string') {
          fail(received(message.error));
        } else {
          fail(
            current().failure(
              'failed: its process sent a message out of order (plugin code writing to the IPC channel?)',
            ),
          );
        }
      });
      child.once('close', (code, killedBy) => {
        fail(current().failure(`did not finish: its process ended (${killedBy ?? `exit code ${String(code)}`})`));
      });
      child.once('error', (error) => {
        fail(
          new ReloadError({
            code: 'IO_FAILED',
            message: `cannot run the inspect process: ${error.message}`,
            cause: error,
          }),
        );
      });
      onAbort = () => {
        fail(signal.reason);
      };
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      child.send(job);
    });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closed;
  }
}

function isOutcome(message: { lines?: unknown; incompatible?: unknown; surfaces?: unknown }): boolean {
  return (
    Array.isArray(message.lines) &&
    message.lines.every((line) => typeof line === 'string') &&
    typeof message.incompatible === 'number' &&
    Array.isArray(message.surfaces) &&
    message.surfaces.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as { kind?: unknown }).kind === 'string' &&
        typeof (s as { key?: unknown }).key === 'string',
    )
  );
}

/**
 * The child's script and Node options: the built `inspectChild.js`, or, when the CLI runs from its
 * TypeScript sources (inside the workspace), `inspectChild.ts` through tsx, with the workspace's
 * source condition so that the plugins' `@baton/*` imports resolve as the CLI's did.
 */
function childEntry(): { script: string; execArgv: string[] } {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./inspectChild.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  if (!fromSource) return { script, execArgv: process.execArgv };
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return { script, execArgv: ['--import', tsx, '--conditions=@baton/source'] };
}
