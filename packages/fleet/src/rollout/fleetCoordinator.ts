import pg from 'pg';
import { advisoryKey, lockKey, unlockKey } from '../store/advisoryKey.js';
import { checkId, checkMs } from '../store/checks.js';
import { fleetError, toFleetError, withPg } from '../store/fleetErrors.js';
import { FleetEvents } from '../store/fleetEvents.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import { countQueries } from '../store/queryable.js';
import type { RolloutRow } from '../store/rows.js';
import { fleetNames } from '../store/schemaName.js';
import type { FleetNames } from '../store/schemaName.js';
import type { FleetCoordinatorEvents, RolloutOutcome } from './rolloutEvents.js';
import { checkRequest, prepareRollout } from './rolloutRequest.js';
import type { RolloutRequest } from './rolloutRequest.js';
import { RolloutRunner } from './rolloutRunner.js';
import { activeRollout, createRollout } from './rolloutStore.js';
import { Wakeup } from './wakeup.js';

/** Options of {@link FleetCoordinator.open}. */
export interface FleetCoordinatorOptions {
  /** The PostgreSQL connection string of the fleet's database. */
  readonly url: string;
  readonly schema?: string;
  /** Milliseconds between polls while a rollout waits (the fallback of LISTEN; default 500). */
  readonly pollMs?: number;
  /** The connection's `application_name` (default `baton-fleet coordinator`). */
  readonly applicationName?: string;
}

/**
 * The fleet's coordinator: any process can be one. It rolls a plugin version across the plugin's
 * live members — canary first, then batches of `maxUnavailable` — through `commands` rows the
 * members' agents run, with a health gate after each step; the first failed or refused command,
 * failed gate, timeout or (by policy) lost member halts the rollout and rolls every member it moved
 * back. Everything it decides is a row first: a coordinator that crashes is replaced by one that
 * folds the rows and resumes, issuing no command twice.
 *
 * One connection (one PostgreSQL session): it holds a session advisory lock per plugin while that
 * plugin's rollout runs (a second coordinator gets `LOCKED`; a crashed one's lock goes with its
 * connection) and LISTENs for the commands' changes. A lost connection stops its rollouts (they
 * reject with `IO_FAILED`; resume them from another coordinator).
 */
export class FleetCoordinator implements AsyncDisposable {
  readonly #client: pg.Client;
  readonly #names: FleetNames;
  readonly #pollMs: number;
  readonly #events = new FleetEvents<FleetCoordinatorEvents>();
  readonly #abort = new AbortController();
  /** Plugins whose rollout this coordinator runs. */
  readonly #running = new Set<string>();
  readonly #inflight = new Set<Promise<unknown>>();
  /** The wakeup of each rollout under way, by rollout id (what the notifications name). */
  readonly #wakeups = new Map<string, Wakeup>();
  #closed: Promise<void> | undefined;

  private constructor(client: pg.Client, names: FleetNames, pollMs: number) {
    this.#client = client;
    this.#names = names;
    this.#pollMs = pollMs;
  }

  /** Connects, makes the fleet tables if missing, and listens for command changes. */
  static async open(options: FleetCoordinatorOptions): Promise<FleetCoordinator> {
    const names = fleetNames(options.schema);
    const pollMs = checkMs(options.pollMs ?? 500, 'pollMs', 'listen');
    const client = new pg.Client({
      connectionString: options.url,
      application_name: options.applicationName ?? 'baton-fleet coordinator',
    });
    const coordinator = new FleetCoordinator(client, names, pollMs);
    client.on('error', (error) => {
      coordinator.#abort.abort(toFleetError(error, 'listen', 'the coordinator’s connection failed', 'IO_FAILED'));
    });
    client.on('notification', (message) => {
      coordinator.#notified(message);
    });
    await withPg({ fleetPhase: 'listen', message: 'the coordinator: connecting' }, () => client.connect());
    try {
      await ensureFleetSchema(client, { schema: names.schema });
      await withPg({ fleetPhase: 'listen', message: 'the coordinator: LISTEN' }, () =>
        client.query(`LISTEN "${names.channel}"`),
      );
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return coordinator;
  }

  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof FleetCoordinatorEvents>(
    event: E,
    listener: (payload: FleetCoordinatorEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Rolls `request.to` across the plugin's live members and resolves with how it ended (`done`, or
   * `halted` and rolled back: not an error). When a rollout of the plugin to the same version is
   * active (its coordinator crashed), resumes it instead.
   *
   * Refused before anything moves: `LOCKED` when another coordinator runs the plugin's rollout or a
   * rollout to another version is active; `INVALID_ARGUMENT` for a bad request, no live member, or a
   * member that runs neither version; `VERIFICATION_FAILED` for an artifact that fails
   * verification; the pre-flight hook's error. Rejects with `ABORTED` (signal) or `IO_FAILED`
   * (PostgreSQL) mid-rollout, which leaves the rollout active to resume.
   */
  async rollout(request: RolloutRequest): Promise<RolloutOutcome> {
    const checked = checkRequest(request);
    const { plugin, action } = checked;
    return this.#locked(plugin, request.signal, async (signal) => {
      const active = await activeRollout(this.#client, this.#names, plugin);
      if (active !== undefined) {
        if (active.toVersion !== request.to.version || active.action !== action)
          throw fleetError({
            code: 'LOCKED',
            fleetPhase: 'plan',
            plugin,
            key: `rollout ${active.id}`,
            message: `rollout ${active.id} of plugin '${plugin}' (${active.action} to ${active.toVersion}) is active: resume it first`,
          });
        return this.#run(active, true, signal);
      }
      const plan = await prepareRollout(this.#client, this.#names.schema, request, checked, signal);
      const row = await createRollout(this.#client, this.#names, {
        plugin,
        action,
        fromArtifact: request.from,
        artifact: request.to,
        policy: checked.policy,
        plan,
      });
      return this.#run(row, false, signal);
    });
  }

  /**
   * Resumes the plugin's active rollout (its coordinator crashed or was stopped) from its rows;
   * undefined when none is active. `LOCKED` when another coordinator runs it.
   */
  async resume(plugin: string, options: { readonly signal?: AbortSignal } = {}): Promise<RolloutOutcome | undefined> {
    checkId(plugin, 'plugin', 'resume');
    return this.#locked(plugin, options.signal, async (signal) => {
      const active = await activeRollout(this.#client, this.#names, plugin);
      return active === undefined ? undefined : this.#run(active, true, signal);
    });
  }

  /** Stops the rollouts in flight (they reject with `ABORTED` and stay active) and ends the connection. */
  close(): Promise<void> {
    return (this.#closed ??= (async () => {
      this.#abort.abort(fleetError({ code: 'ABORTED', fleetPhase: 'wait', message: 'the coordinator closed' }));
      await Promise.allSettled([...this.#inflight]);
      await this.#client.end().catch(() => undefined);
    })());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** Runs `task` holding the plugin's rollout lock (in this process and in PostgreSQL). */
  async #locked<T>(
    plugin: string,
    callerSignal: AbortSignal | undefined,
    task: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (this.#running.has(plugin))
      throw fleetError({
        code: 'LOCKED',
        fleetPhase: 'lock',
        plugin,
        message: `this coordinator already runs a rollout of plugin '${plugin}'`,
      });
    this.#abort.signal.throwIfAborted();
    const signal =
      callerSignal === undefined ? this.#abort.signal : AbortSignal.any([this.#abort.signal, callerSignal]);
    const key = advisoryKey('rollout', `${this.#names.schema}:${plugin}`);
    this.#running.add(plugin);
    const work = (async () => {
      try {
        await withPg({ fleetPhase: 'lock', plugin, message: `taking the rollout lock of plugin '${plugin}'` }, () =>
          lockKey(this.#client, key, {
            fleetPhase: 'lock',
            plugin,
            message: `another coordinator runs the rollout of plugin '${plugin}'`,
          }),
        );
        try {
          return await task(signal);
        } finally {
          await unlockKey(this.#client, key).catch(() => false);
        }
      } catch (error) {
        if (signal.aborted) throw toFleetError(signal.reason, 'wait', 'the rollout stopped', 'ABORTED');
        throw error;
      } finally {
        this.#running.delete(plugin);
      }
    })();
    this.#inflight.add(work);
    void work.then(
      () => this.#inflight.delete(work),
      () => this.#inflight.delete(work),
    );
    return work;
  }

  async #run(row: RolloutRow, resumed: boolean, signal: AbortSignal): Promise<RolloutOutcome> {
    const wakeup = new Wakeup();
    this.#wakeups.set(row.id, wakeup);
    try {
      const runner = new RolloutRunner(row, resumed, {
        client: countQueries(this.#client),
        names: this.#names,
        events: this.#events,
        pollMs: this.#pollMs,
        wakeup,
        signal,
      });
      return await runner.run();
    } finally {
      this.#wakeups.delete(row.id);
    }
  }

  #notified(message: pg.Notification): void {
    if (message.channel !== this.#names.channel || message.payload === undefined) return;
    try {
      const { rollout } = JSON.parse(message.payload) as { rollout?: unknown };
      this.#wakeups.get(String(rollout))?.notify();
    } catch {
      // not the trigger's: the poll still sees every change
    }
  }
}
