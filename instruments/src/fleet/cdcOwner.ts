/**
 * The CDC side of a member: it competes for the stream's lease, and while it holds it pumps the
 * PostgreSQL slot into the plugin's fenced PostgreSQL sink (`host.startCdc`, `pumpChanges`). The
 * lease is renewed every `renewMs`; a member that finds it lost stops pumping. Before it reads the
 * slot, a new owner ends the walsender still reading it (a frozen or dead predecessor's: the lease
 * says the slot is now this member's). A write the sink refuses as fenced (`LOCKED`,
 * `details.fenced`) ends the pump: that member is a zombie and writes nothing more.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { isReloadError } from '@baton/core';
import { acquireCdcLease } from '@baton/fleet';
import type { CdcLease } from '@baton/fleet';
import type { ManagedCdcStream, PluginHost } from '@baton/core';
import { postgresChangeSource, pumpChanges, readChanges } from '@baton/postgres';
import type { PostgresChangeSource } from '@baton/postgres';
import pg from 'pg';
import { say } from '../pgCrash/killSwitch.js';
import type { MemberSwitch } from './memberSwitch.js';
import { SINK_OUTPUT } from './trialPlugin.js';

/** Where the stream reads, its lease, and what ends it. */
export interface CdcPlace {
  readonly sourceUrl: string;
  readonly slot: string;
  readonly publication: string;
  /** The fleet's database (the lease table is there, with the sink it fences). */
  readonly fleetUrl: string;
  /** The stream's lease: its key, the member's id, its time to live and how often to renew or try to take it. */
  readonly stream: string;
  readonly owner: string;
  readonly ttlMs: number;
  readonly renewMs: number;
  /** The id of the change that marks the end of the writers' work. */
  readonly marker: string;
}

/** What the member's CDC side did. */
export interface CdcCounts {
  /** Times it took the lease, batches written and skipped, writes refused as fenced. */
  terms: number;
  written: number;
  skipped: number;
  fenced: number;
  /** Failures other than fencing (a trial failure). */
  errors: number;
  lastError: string | undefined;
}

const errorText = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const isFenced = (error: unknown): boolean =>
  isReloadError(error) && error.code === 'LOCKED' && error.details['fenced'] === true;

/** One term of ownership: the lease, and the pump running under it. */
interface Term {
  readonly lease: CdcLease;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/** One member's CDC side; `compete()` begins competing for the lease, `stop()` ends cleanly. */
export class CdcOwner {
  readonly #host: PluginHost;
  readonly #place: CdcPlace;
  readonly #switch: MemberSwitch;
  readonly counts: CdcCounts = { terms: 0, written: 0, skipped: 0, fenced: 0, errors: 0, lastError: undefined };
  #competing = false;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #term: Term | undefined;
  /** The token of the last lease this member took (the sink writer's fencing token). */
  #token = 0n;

  constructor(host: PluginHost, place: CdcPlace, memberSwitch: MemberSwitch) {
    this.#host = host;
    this.#place = place;
    this.#switch = memberSwitch;
  }

  /** The fencing token the sink writer starts with: the token of the lease this member took last. */
  get token(): bigint {
    return this.#token;
  }

  /** Whether this member holds the lease and pumps. */
  get owner(): boolean {
    return this.#term !== undefined;
  }

  /** Starts competing for the lease (idempotent). */
  compete(): void {
    if (this.#competing || this.#stopped) return;
    this.#competing = true;
    this.#loop = this.#run();
  }

  /** Stops competing: the pump confirms what it delivered, then the lease is released. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await this.#endTerm();
  }

  /** While not stopped: takes the lease whenever it is free (another live owner's is `LOCKED`: try again later). */
  async #run(): Promise<void> {
    while (!this.#stopped) {
      if (this.#term === undefined) {
        try {
          const lease = await acquireCdcLease({
            url: this.#place.fleetUrl,
            stream: this.#place.stream,
            owner: this.#place.owner,
            ttlMs: this.#place.ttlMs,
            renewEveryMs: this.#place.renewMs,
          });
          // stop() may have come while the acquire was in flight.
          if (this.#isStopped()) await lease.release();
          else this.#startTerm(lease);
        } catch (error) {
          if (!(isReloadError(error) && error.code === 'LOCKED')) this.#fail(`lease: ${errorText(error)}`);
        }
      }
      await delay(this.#place.renewMs);
    }
  }

  #isStopped(): boolean {
    return this.#stopped;
  }

  #fail(message: string): void {
    this.counts.errors++;
    this.counts.lastError ??= message;
    say({ event: 'cdcError', message });
  }

  #startTerm(lease: CdcLease): void {
    this.counts.terms++;
    this.#token = lease.token;
    const stop = new AbortController();
    say({ event: 'cdcOwner', token: lease.token });
    lease.signal.addEventListener('abort', () => {
      if (lease.state === 'lost')
        say({ event: 'leaseLost', token: lease.token, message: errorText(lease.signal.reason) });
      stop.abort();
    });
    const done = this.#pump(stop.signal).catch((error: unknown) => {
      if (isFenced(error)) {
        this.counts.fenced++;
        say({ event: 'fenced', token: lease.token, message: errorText(error) });
      } else if (!stop.signal.aborted) this.#fail(`pump: ${errorText(error)}`);
    });
    const term: Term = { lease, stop, done };
    this.#term = term;
    // A pump that ended on its own (fenced, failed, or its lease lost) ends the term: the member competes again.
    void done.then(async () => {
      if (this.#term !== term) return;
      this.#term = undefined;
      await lease.release().catch(() => undefined);
    });
  }

  async #endTerm(): Promise<void> {
    const term = this.#term;
    this.#term = undefined;
    if (term === undefined) return;
    term.stop.abort();
    await term.done;
    await term.lease.release().catch(() => undefined);
  }

  /** Ends the walsender still reading the slot (the previous owner's), since the lease makes it this member's. */
  async #freeSlot(): Promise<void> {
    const client = new pg.Client({ connectionString: this.#place.sourceUrl });
    client.on('error', () => undefined);
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pg_terminate_backend(active_pid), active_pid AS pid FROM pg_replication_slots
          WHERE slot_name = $1 AND active_pid IS NOT NULL`,
        [this.#place.slot],
      );
      if (rows.length > 0) say({ event: 'slotFreed', walsender: rows[0]!.pid });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async #pump(signal: AbortSignal): Promise<void> {
    await this.#freeSlot();
    let source: PostgresChangeSource | undefined;
    let feed: ManagedCdcStream | undefined;
    try {
      source = await postgresChangeSource({
        url: this.#place.sourceUrl,
        slot: this.#place.slot,
        publication: this.#place.publication,
        acquireTimeoutMs: 10_000,
        signal,
      });
      feed = await this.#host.startCdc({ name: 'events', key: SINK_OUTPUT });
      say({ event: 'cdcStarted', token: this.#token });
      const stream = feed;
      const report = await pumpChanges(
        source,
        {
          deliver: (batch) => {
            this.#switch.reach('deliver.before', { token: this.#token });
            return stream.deliver(batch);
          },
          checkpoint: () => stream.checkpoint(),
        },
        {
          signal,
          checkpointEvery: 3,
          onBatch: (batch, written) => {
            if (written) this.counts.written++;
            else this.counts.skipped++;
            this.#switch.reach('deliver.after');
            if (readChanges(batch.mutations).some((row) => row.new?.['id'] === this.#place.marker))
              say({ event: 'marker', lsn: batch.lsnEnd });
          },
          // A fenced writer stays fenced: no retry makes it write again.
          onRetry: (error) => {
            if (isFenced(error)) throw error;
          },
        },
      );
      say({ event: 'pumped', confirmedLsn: report.confirmedLsn, written: report.written, skipped: report.skipped });
    } finally {
      await source?.close().catch(() => undefined);
      await feed?.close().catch(() => undefined);
    }
  }
}
