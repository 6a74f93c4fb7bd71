import { hostname } from 'node:os';
import type { PluginHost, ReloadError } from '@baton/core';
import { switchedAwayFrom } from '../formats/formatPhaseStore.js';
import { fleetError, toFleetError, withPg } from '../store/fleetErrors.js';
import { checkId, checkMs } from '../store/checks.js';
import type { Queryable } from '../store/queryable.js';
import { parseMemberRow } from '../store/rowParsing.js';
import type { MemberFigures, MemberRow } from '../store/rows.js';
import { fleetNames } from '../store/schemaName.js';
import type { FleetNames } from '../store/schemaName.js';
import { hostReport, mergeFigures } from './memberFigures.js';
import type { FiguresSource, MemberReport } from './memberFigures.js';

/** Options of {@link FleetMembership.join}. */
export interface JoinOptions {
  /** The connection the membership writes through (it is not ended by the membership). */
  readonly client: Queryable;
  /** The member's id: stable across restarts of the same engine process (1–200 characters). */
  readonly memberId: string;
  /** The plugin the member serves. */
  readonly plugin: string;
  /** The host whose stats and CDC streams give the member's version and figures. */
  readonly host?: PluginHost;
  /** The engine's own figures (its clients' failed calls), merged over the host's. */
  readonly figures?: FiguresSource;
  /** Milliseconds between heartbeats (default 1000; 0: only {@link FleetMembership.heartbeat}). */
  readonly heartbeatMs?: number;
  readonly schema?: string;
  /** Called with each failed heartbeat (a `ReloadError`); the next one is tried on schedule. */
  readonly onError?: (error: ReloadError) => void;
}

/**
 * One engine process's membership in the fleet: its `members` row, kept fresh by heartbeats that
 * carry the plugin version it serves and its figures (calls, failed calls, refused reloads, the last
 * pause, CDC lag). Heartbeats run one at a time on an interval; `leave()` (or `await using`) stops
 * them and marks the row as left. Liveness is decided by the database's clock (see `listMembers`).
 */
export class FleetMembership implements AsyncDisposable {
  /** The member's id. */
  readonly memberId: string;
  /** The plugin it serves. */
  readonly plugin: string;
  readonly #client: Queryable;
  readonly #names: FleetNames;
  readonly #options: JoinOptions;
  #extra: Partial<MemberFigures> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #inFlight: Promise<MemberRow | undefined> | undefined;
  #left = false;

  private constructor(options: JoinOptions, names: FleetNames) {
    this.memberId = options.memberId;
    this.plugin = options.plugin;
    this.#client = options.client;
    this.#names = names;
    this.#options = options;
  }

  /**
   * Joins the fleet: upserts the member's row (a member that left or was stale joins again) with its
   * version and figures, and starts its heartbeats. `INVALID_ARGUMENT` for bad options, `IO_FAILED`
   * when PostgreSQL cannot be reached.
   */
  static async join(options: JoinOptions): Promise<FleetMembership> {
    checkId(options.memberId, 'memberId', 'join');
    checkId(options.plugin, 'plugin', 'join');
    checkMs(options.heartbeatMs ?? 1000, 'heartbeatMs', 'join');
    const membership = new FleetMembership(options, fleetNames(options.schema));
    await membership.#write('join');
    membership.#schedule();
    return membership;
  }

  /** The member's version and figures now (what the next heartbeat sends). */
  async report(): Promise<MemberReport> {
    const base = hostReport(this.#options.host, this.plugin);
    if (this.#options.figures !== undefined) {
      try {
        this.#extra = await this.#options.figures();
      } catch (error) {
        // Keep the last good figures: a failing source must not read as "no failed calls".
        this.#options.onError?.(
          toFleetError(error, 'heartbeat', `member ${this.memberId}: figures() failed`, 'PROVIDER_FAILED'),
        );
      }
    }
    return { version: base.version, figures: mergeFigures(base.figures, this.#extra) };
  }

  /** Sends a heartbeat now (after the one in flight); returns the row as written. */
  async heartbeat(): Promise<MemberRow> {
    const row = await this.#write('heartbeat');
    if (row === undefined)
      throw fleetError({
        code: 'RESOURCE_CLOSED',
        fleetPhase: 'heartbeat',
        key: `member ${this.memberId}`,
        message: `member ${this.memberId} has left the fleet`,
      });
    return row;
  }

  /** Stops the heartbeats and marks the member as left (`left_at = now()`). Idempotent. */
  async leave(): Promise<void> {
    if (this.#left) return;
    this.#left = true;
    clearTimeout(this.#timer);
    await this.#inFlight?.catch(() => undefined);
    const { members } = this.#names;
    await withPg(
      { fleetPhase: 'leave', key: `member ${this.memberId}`, message: `member ${this.memberId}: leave` },
      () => this.#client.query(`UPDATE ${members} SET left_at = now() WHERE id = $1`, [this.memberId]),
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.leave();
  }

  #schedule(): void {
    const every = this.#options.heartbeatMs ?? 1000;
    if (every === 0 || this.#left) return;
    this.#timer = setTimeout(() => {
      this.#write('heartbeat')
        .catch((error: unknown) => {
          this.#options.onError?.(error as ReloadError);
        })
        .finally(() => {
          this.#schedule();
        });
    }, every);
    this.#timer.unref();
  }

  /**
   * Refuses to join with a version the fleet has switched away from: a `format_phases` row of the
   * plugin in phase `switched` whose old version is `version` and whose old version does not read the
   * new formats (not `rollback_safe`). Such a process could not read the states the others write. No
   * `format_phases` table (formats never used): nothing to refuse.
   */
  async #refuseSwitchedAway(version: string): Promise<void> {
    const switched = await switchedAwayFrom(this.#client, {
      schema: this.#names.schema,
      plugin: this.plugin,
      version,
    });
    if (switched !== undefined)
      throw fleetError({
        code: 'SCHEMA_INCOMPATIBLE',
        fleetPhase: 'join',
        plugin: this.plugin,
        key: `member ${this.memberId}`,
        message:
          `member ${this.memberId} serves ${this.plugin} ${version}, which the fleet switched away from: ` +
          `${switched.version} writes formats ${version} cannot read (format_phases); start it on ${switched.version}`,
      });
  }

  /** One write at a time: the join, or a heartbeat (which also rejoins a row that vanished). */
  async #write(kind: 'join' | 'heartbeat'): Promise<MemberRow | undefined> {
    const previous = this.#inFlight;
    const next = (async () => {
      await previous?.catch(() => undefined);
      if (this.#left) return undefined;
      const { version, figures } = await this.report();
      if (kind === 'join' && version !== null) await this.#refuseSwitchedAway(version);
      const { members } = this.#names;
      const rejoin = kind === 'join' ? ', joined_at = now()' : '';
      const { rows } = await withPg(
        {
          fleetPhase: kind,
          plugin: this.plugin,
          key: `member ${this.memberId}`,
          message: `member ${this.memberId}: ${kind}`,
        },
        () =>
          this.#client.query(
            `INSERT INTO ${members} (id, plugin, version, pid, host, figures) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET plugin = EXCLUDED.plugin, version = EXCLUDED.version, pid = EXCLUDED.pid,
               host = EXCLUDED.host, figures = EXCLUDED.figures, heartbeat_at = now(), left_at = NULL${rejoin}
             RETURNING *`,
            [this.memberId, this.plugin, version, process.pid, hostname(), figures],
          ),
      );
      return parseMemberRow(rows[0]!);
    })();
    this.#inFlight = next;
    return next;
  }
}
