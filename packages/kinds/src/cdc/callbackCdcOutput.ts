import type { CallOptions, CdcBatch, CdcOutputProvider, CdcStartOptions, CdcStream, MaybePromise } from '@baton/core';
import { checkBatch, checkLsn, closedCdc, invalidCdc, placeBatch, throwIfAborted } from './batchCheck.js';
import type { CdcErrorContext } from './batchCheck.js';
import { checkCallOptions, checkCdcOptions, checkFunctionArg } from './cdcArgs.js';
import type { CdcPositionOwner, CdcPositionState } from './cdcPosition.js';

/** Options of {@link callbackCdcOutput}. */
export interface CallbackCdcOutputOptions {
  /** The output's name (registry key). */
  readonly name: string;
  /** Host-owned position shared by every version of this output (see `CdcPosition`). */
  readonly position: CdcPositionState;
  /**
   * Receives each batch once, in LSN order. A batch counts as written when the returned promise
   * resolves; on a rejection it does not, and the same batch may be delivered again, so make the
   * consumer's effect of one batch all-or-nothing.
   */
  readonly onBatch: (batch: CdcBatch) => MaybePromise<void>;
  /** Called by `checkpoint()` with the LSN through which batches were accepted (flush your side here). */
  readonly onCheckpoint?: (lsn: bigint, options: CallOptions) => MaybePromise<void>;
}

/** A callback CDC output provider. */
export interface CallbackCdcOutput extends CdcOutputProvider {
  start(options: CdcStartOptions): Promise<CdcStream>;
}

/**
 * A CDC output handing batches to a callback, with its position in a host-owned object instead of
 * a file: the CDC contract is not tied to files. The position advances as soon as `onBatch`
 * resolves, so a reload handoff (checkpoint → shutdown → start on the new version with the same
 * position) re-delivers nothing and skips nothing; a new start waits for the previous stream's
 * in-flight delivery and fences it. A wrong-typed option, an unknown one, or a wrong-typed call
 * argument is `INVALID_ARGUMENT`.
 */
export function callbackCdcOutput(options: CallbackCdcOutputOptions): CallbackCdcOutput {
  const unnamed = { key: String((options as { name?: unknown } | null | undefined)?.name) };
  if (options === undefined) throw invalidCdc(unnamed, 'callbackCdcOutput needs options { name, position, onBatch }');
  const { name, position, onBatch, onCheckpoint } = checkCdcOptions<CallbackCdcOutputOptions>(
    options,
    ['name', 'position', 'onBatch', 'onCheckpoint'],
    'callbackCdcOutput options',
    unnamed,
  );
  const context: CdcErrorContext = { key: String(name) };
  if (typeof name !== 'string' || name === '') throw invalidCdc(context, 'name must be a non-empty string');
  if (typeof position !== 'object' || position === null)
    throw invalidCdc(context, 'position must be a host-owned CdcPosition');
  if (typeof onBatch !== 'function') throw invalidCdc(context, 'onBatch must be a function');
  checkFunctionArg(onCheckpoint, 'onCheckpoint', context);
  return {
    name,
    async start(args: CdcStartOptions = {}): Promise<CdcStream> {
      const startOptions = checkCallOptions<CdcStartOptions>(args, 'start options', context);
      const fromLsn =
        startOptions.fromLsn === undefined ? undefined : checkLsn(startOptions.fromLsn, 'fromLsn', context);
      throwIfAborted(startOptions.signal, context, 'start');
      const stream = new CallbackCdcStream(context, position, onBatch, onCheckpoint);
      const previous = position.owner;
      position.owner = stream; // fence the previous stream, then let its in-flight delivery settle
      await previous?.idle().catch(() => undefined);
      if (position.owner !== stream) throw closedCdc(context, 'start', 'a newer start took the position over');
      const lsn = position.lsn;
      if (lsn !== undefined && fromLsn !== undefined && fromLsn > lsn) {
        position.owner = undefined;
        throw invalidCdc(
          context,
          `start({ fromLsn: ${fromLsn} }) is ahead of what the consumer accepted (through ${lsn}); starting there would lose batches [${lsn}, ${fromLsn})`,
        );
      }
      position.lsn = lsn ?? fromLsn ?? 0n;
      return stream;
    },
  };
}

class CallbackCdcStream implements CdcStream, CdcPositionOwner {
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(
    private readonly context: CdcErrorContext,
    private readonly position: CdcPositionState,
    private readonly onBatch: (batch: CdcBatch) => MaybePromise<void>,
    private readonly onCheckpoint: CallbackCdcOutputOptions['onCheckpoint'],
  ) {}

  idle(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  deliver(batch: CdcBatch): Promise<void> {
    return this.#serial('deliver', async (lsn) => {
      checkBatch(batch, this.context);
      if (placeBatch(batch, lsn, this.context) === 'skip') return;
      await this.onBatch(batch);
      this.position.lsn = batch.lsnEnd;
    });
  }

  checkpoint(options: CallOptions = {}): Promise<bigint> {
    return this.#serial('checkpoint', async (lsn) => {
      const checked = checkCallOptions<CallOptions>(options, 'checkpoint options', this.context);
      throwIfAborted(checked.signal, this.context, 'checkpoint');
      await this.onCheckpoint?.(lsn, checked);
      return lsn;
    });
  }

  shutdown(options: CallOptions = {}): Promise<void> {
    const run = this.#tail.then(() => {
      checkCallOptions<CallOptions>(options, 'shutdown options', this.context);
      this.#closed = true;
      if (this.position.owner === this) this.position.owner = undefined;
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }

  #serial<T>(step: string, task: (lsn: bigint) => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => {
      const problem = this.#closed
        ? 'was shut down'
        : this.position.owner !== this
          ? 'was fenced off by a newer start'
          : undefined;
      if (problem !== undefined) {
        throw closedCdc(this.context, step, `${step} on a stream that ${problem}`);
      }
      return task(this.position.lsn ?? 0n);
    });
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
