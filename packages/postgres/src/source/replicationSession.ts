import { setTimeout as delay } from 'node:timers/promises';
import { ReloadError, isReloadError } from '@baton/core';
import { LogicalReplicationService } from 'pg-logical-replication';
import { pgFailure, sqlStateOf } from '../errors/pgErrors.js';
import { formatLsn } from '../lsn/lsn.js';
import { TextPgoutputPlugin } from './textPgoutputPlugin.js';
import type { SourceMessage } from './transactionAssembler.js';

/**
 * Session settings of the replication connection. pgoutput formats values with the walsender's
 * settings, so these make the text of every value independent of the server's configuration.
 */
const SESSION_OPTIONS =
  '-c DateStyle=ISO,YMD -c TimeZone=UTC -c IntervalStyle=postgres -c extra_float_digits=3 -c bytea_output=hex';

/** How long a stopping session waits for the server to answer its last report. */
const FINAL_REPORT_MS = 2_000;
/** How long one connection attempt may take before it fails (pg's default is to wait for ever). */
const CONNECT_TIMEOUT_MS = 10_000;

/** What a session reports to its owner. */
export interface SessionHandlers {
  /** Each message in WAL order; the next is not read before the returned promise settles. */
  readonly onMessage: (message: SourceMessage) => Promise<void>;
  /** The stream failed or ended while not stopped. */
  readonly onEnd: (error: unknown) => void;
  /** The server asked for a status report now. */
  readonly onStatusRequest: () => void;
}

/** Where and what a session streams. */
export interface SessionTarget {
  readonly source: string;
  readonly url: string;
  readonly slot: string;
  readonly publication: string;
  /** Where to start: the slot's confirmed position. */
  readonly startLsn: bigint;
  readonly acquireTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * One streaming replication connection (pg-logical-replication's `LogicalReplicationService`) on a
 * slot. Acknowledgements are manual only — the library's automatic ones would confirm every LSN it
 * receives, keepalives included, before the output has it — and its flow control is on: the socket
 * is paused while a message is being handled, so a slow consumer holds the walsender back.
 */
export class ReplicationSession {
  readonly #service: LogicalReplicationService;
  #stopping = false;

  private constructor(service: LogicalReplicationService) {
    this.#service = service;
  }

  /**
   * Starts streaming at `target.startLsn`. A slot another connection is reading (`55006`) is retried
   * until `acquireTimeoutMs`, then `LOCKED` naming the reader's server process.
   */
  static async start(target: SessionTarget, handlers: SessionHandlers): Promise<ReplicationSession> {
    try {
      return await ReplicationSession.#acquire(target, handlers);
    } catch (error) {
      if (!target.signal?.aborted || isReloadError(error)) throw error;
      throw new ReloadError({
        code: 'ABORTED',
        phase: 'call',
        step: 'start',
        message: `change source '${target.source}': streaming slot '${target.slot}' was aborted`,
        cause: target.signal.reason,
      });
    }
  }

  static async #acquire(target: SessionTarget, handlers: SessionHandlers): Promise<ReplicationSession> {
    const deadline = Date.now() + target.acquireTimeoutMs;
    for (let wait = 25; ; wait = Math.min(wait * 2, 500)) {
      target.signal?.throwIfAborted();
      try {
        return await ReplicationSession.#open(target, handlers);
      } catch (error) {
        if (sqlStateOf(error) !== '55006' || Date.now() + wait > deadline) {
          throw pgFailure(error, {
            what: `change source '${target.source}': streaming slot '${target.slot}' from LSN ${formatLsn(target.startLsn)}${
              sqlStateOf(error) === '55006' ? ` (another connection has read it for ${target.acquireTimeoutMs} ms)` : ''
            }`,
            step: 'start',
          });
        }
        await delay(wait, undefined, target.signal ? { signal: target.signal } : {});
      }
    }
  }

  static async #open(target: SessionTarget, handlers: SessionHandlers): Promise<ReplicationSession> {
    const service = new LogicalReplicationService(
      {
        connectionString: target.url,
        options: SESSION_OPTIONS,
        application_name: `baton source ${target.slot}`,
        // A server that does not answer (a dropped network) fails the attempt instead of hanging it.
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        keepAlive: true,
      },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: true } },
    );
    const session = new ReplicationSession(service);
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let failed: ((error: unknown) => void) | undefined;
    const failedEarly = new Promise<never>((_, reject) => (failed = reject));
    failedEarly.catch(() => undefined);
    service.on('start', () => {
      failed = undefined;
      started();
    });
    service.on('data', (_lsn: string, message: SourceMessage) => handlers.onMessage(message));
    service.on('heartbeat', (_lsn: string, _time: number, shouldRespond: boolean) => {
      if (shouldRespond) handlers.onStatusRequest();
    });
    const end = (error: unknown): void => {
      if (session.#stopping) return;
      if (failed) failed(error);
      else handlers.onEnd(error);
    };
    service.on('error', end);
    service.subscribe(new TextPgoutputPlugin(target.publication), target.slot, formatLsn(target.startLsn)).then(() => {
      end(new Error('the server ended the replication stream'));
    }, end);
    try {
      await Promise.race([running, failedEarly]);
    } catch (error) {
      session.#stopping = true;
      await service.destroy().catch(() => undefined);
      throw error;
    }
    return session;
  }

  /**
   * Reports `flushLsn` as written, flushed and applied: the slot's confirmed position moves there
   * (the server never moves it backwards). pg-logical-replication reports the LSN it is given plus
   * one, so it is given `flushLsn - 1`.
   */
  reportFlushed(flushLsn: bigint): void {
    if (this.#stopping || flushLsn <= 0n) return;
    void this.#service.acknowledge(formatLsn(flushLsn - 1n)).catch(() => undefined);
  }

  /**
   * Ends the connection; resolves when it is closed. With `flushLsn`, first reports it asking the
   * server to answer, and waits (at most {@link FINAL_REPORT_MS}) for that answer: pg's `end()` on a
   * connection that is streaming destroys the socket at once, and a report still in flight could be
   * lost with it (the slot would then only lag: the output skips what comes again).
   */
  async stop(flushLsn?: bigint): Promise<void> {
    if (flushLsn !== undefined && flushLsn > 0n && !this.#stopping) {
      const answered = new Promise<void>((resolve) => {
        this.#service.once('heartbeat', () => {
          resolve();
        });
      });
      const sent = this.#service.acknowledge(formatLsn(flushLsn - 1n), true).catch(() => false);
      if (await sent) await Promise.race([answered, delay(FINAL_REPORT_MS, undefined, { ref: false })]);
    }
    this.#stopping = true;
    await this.#service.destroy().catch(() => undefined);
  }
}
