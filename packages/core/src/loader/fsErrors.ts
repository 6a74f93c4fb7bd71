import { ReloadError, isReloadError } from '../errors/reloadError.js';
import type { ReloadPhase } from '../errors/codes.js';

/** Context of a file-system call made by the loader or the CLI. */
export interface FsContext {
  /** What the call does, in words: `reading`, `creating the directory`, `renaming … to`. */
  readonly doing: string;
  /** The path it acts on (named in the message). */
  readonly path: string;
  readonly phase?: ReloadPhase;
  readonly plugin?: string | undefined;
  /**
   * The code for this failure (default `IO_FAILED`); reading an artifact uses
   * `VERIFICATION_FAILED`, because the artifact cannot be verified.
   */
  readonly code?: 'IO_FAILED' | 'VERIFICATION_FAILED';
}

/** The `code` of a Node system error (`ENOENT`, `EACCES`, …), if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A `ReloadError` for a failed file-system call: the code (`IO_FAILED` unless told), the path, the
 * system error code in the message and the original error as `cause`. A `ReloadError` is returned
 * unchanged.
 */
export function fsError(error: unknown, context: FsContext): ReloadError {
  if (isReloadError(error)) return error;
  const errno = errnoOf(error);
  const detail = errno ?? (error instanceof Error ? error.message : String(error));
  return new ReloadError({
    code: context.code ?? 'IO_FAILED',
    phase: context.phase ?? 'load',
    ...(context.plugin === undefined ? {} : { plugin: context.plugin }),
    message: `${context.doing} ${context.path} failed: ${detail}${errno && error instanceof Error ? ` (${error.message})` : ''}`,
    cause: error,
  });
}

/** Runs a file-system call; a failure becomes {@link fsError}. */
export async function fsCall<T>(context: FsContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fsError(error, context);
  }
}
