import pg from 'pg';
import type { PluginHost, ReloadError, ReloadOptions } from '@baton/core';
import { FleetMembership } from '../members/membership.js';
import type { FiguresSource } from '../members/memberFigures.js';
import { advisoryKey, lockKey } from '../store/advisoryKey.js';
import { checkId, checkMs } from '../store/checks.js';
import { fleetError, toFleetError, withPg } from '../store/fleetErrors.js';
import { FleetEvents } from '../store/fleetEvents.js';
import { ensureFleetSchema } from '../store/fleetSchema.js';
import type { CommandResult, CommandRow } from '../store/rows.js';
import { fleetNames } from '../store/schemaName.js';
import type { FleetNames } from '../store/schemaName.js';
import { claimNextCommand, loseInterruptedCommands, recordCommandEnd } from './commandQueue.js';
import { runCommand } from './runCommand.js';
import type { ArtifactLoader, FormatHandler } from './runCommand.js';

/** Options of {@link FleetAgent.start}. */
export interface FleetAgentOptions {
  /** The engine's host: commands reload its plugin. */
  readonly host: PluginHost;
  /** The PostgreSQL connection string of the fleet's database. */
  readonly url: string;
  /** This engine process's member id: the same across its restarts (1–200 characters). */
  readonly memberId: string;
  /** The plugin the member serves (loaded on `host`). */
  readonly plugin: string;
  /** Loads the version an artifact names (e.g. `loadPluginVersion` of a verified directory). */
  readonly loadArtifact: ArtifactLoader;
  /** Runs `format` commands (the formats module's hook; default: a reload of the same artifact). */
  readonly format?: FormatHandler;
  /** The engine's own figures (its clients' failed calls), merged over the host's in heartbeats. */
  readonly figures?: FiguresSource;
  /** Options of every reload the agent runs (timeouts); the signal is the agent's own. */
  readonly reloadOptions?: Omit<ReloadOptions, 'signal' | 'allowDowngrade' | 'allowSameVersion'>;
  /** Milliseconds between heartbeats (default 1000). */
  readonly heartbeatMs?: number;
  /** Milliseconds between polls for commands, the fallback of LISTEN (default 1000). */
  readonly pollMs?: number;
  readonly schema?: string;
  /** The connection's `application_name` (default `baton-fleet agent <memberId>`). */
  readonly applicationName?: string;
}

/** The events of a {@link FleetAgent}. */
export interface FleetAgentEvents {
  /** The agent claimed a command and starts running it. */
  commandStarted: { readonly command: CommandRow };
  /**
   * A command ended; `recorded` is false when the coordinator had declared it lost meanwhile (its
   * row keeps `lost`; the host's state is what `result` says).
   */
  commandEnded: { readonly command: CommandRow; readonly result: CommandResult; readonly recorded: boolean };
  /** Commands an earlier run of this member claimed and never ended: marked lost, never run again. */
  interrupted: { readonly commands: readonly CommandRow[] };
  /** A failure outside a command: a heartbeat, a poll, the connection (then the agent stops). */
  error: { readonly error: ReloadError };
}

/**
 * The fleet's agent in one engine process: it joins the fleet as a member (heartbeats with its
 * figures), waits for the commands addressed to it (LISTEN, with a poll as the fallback), claims
 * each (`UPDATE … WHERE state = 'pending'`: a command runs at most once, even across restarts of the
 * agent), runs it on its `PluginHost` — a reload or rollback to the command's artifact, or a format
 * switch — and records `done` with the reload's timings and handoffs, or `failed` with the
 * `ReloadError`'s code, phase and message. Commands run one at a time, oldest first.
 *
 * Only one agent per member id runs at a time: it holds an advisory lock on its own connection (a
 * second one gets `LOCKED`; a crashed agent's lock goes with its connection). On start it marks the
 * commands an earlier run left `running` as `lost`. Close it with `close()` or `await using`: the
 * command in flight is aborted (its reload rolls back and is recorded `failed` with `ABORTED`), the
 * member leaves the fleet, and the connection ends. A lost connection stops the agent (an `error`
 * event): the member's heartbeats stop, and the coordinator sees it as lost.
 */
export class FleetAgent implements AsyncDisposable {
  /** The member this agent runs as. */
  readonly memberId: string;
  readonly #options: FleetAgentOptions;
  readonly #names: FleetNames;
  readonly #client: pg.Client;
  readonly #events = new FleetEvents<FleetAgentEvents>();
  readonly #abort = new AbortController();
  #membership: FleetMembership | undefined;
  #poll: NodeJS.Timeout | undefined;
  #draining: Promise<void> | undefined;
  #again = false;
  #closed: Promise<void> | undefined;

  private constructor(options: FleetAgentOptions, names: FleetNames, client: pg.Client) {
    this.memberId = options.memberId;
    this.#options = options;
    this.#names = names;
    this.#client = client;
  }

  /**
   * Connects, makes the fleet tables if missing, takes the member's lock (`LOCKED` when another agent
   * runs as this member), joins the fleet, marks interrupted commands lost, and starts listening.
   */
  static async start(options: FleetAgentOptions): Promise<FleetAgent> {
    const memberId = checkId(options.memberId, 'memberId', 'join');
    checkId(options.plugin, 'plugin', 'join');
    checkMs(options.pollMs ?? 1000, 'pollMs', 'join');
    if (typeof options.loadArtifact !== 'function')
      throw fleetError({ code: 'INVALID_ARGUMENT', fleetPhase: 'join', message: 'loadArtifact must be a function' });
    const names = fleetNames(options.schema);
    const client = new pg.Client({
      connectionString: options.url,
      application_name: options.applicationName ?? `baton-fleet agent ${memberId}`.slice(0, 63),
    });
    const agent = new FleetAgent(options, names, client);
    client.on('error', (error) => {
      agent.#fail(error);
    });
    await withPg({ fleetPhase: 'join', key: `member ${memberId}`, message: `member ${memberId}: connecting` }, () =>
      client.connect(),
    );
    try {
      await agent.#begin();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return agent;
  }

  /** Adds a listener; returns the function that removes it. */
  on<E extends keyof FleetAgentEvents>(event: E, listener: (payload: FleetAgentEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Looks for pending commands now (as a notification or the poll would). */
  wake(): void {
    if (this.#abort.signal.aborted) return;
    if (this.#draining !== undefined) {
      this.#again = true;
      return;
    }
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Aborts the command in flight, leaves the fleet and ends the connection. Idempotent. */
  close(): Promise<void> {
    return (this.#closed ??= this.#close());
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #begin(): Promise<void> {
    const { memberId, plugin } = this.#options;
    const client = this.#client;
    await ensureFleetSchema(client, { schema: this.#names.schema });
    await withPg(
      { fleetPhase: 'join', key: `member ${memberId}`, message: `member ${memberId}: taking its lock` },
      () =>
        lockKey(client, advisoryKey('member', `${this.#names.schema}:${memberId}`), {
          fleetPhase: 'join',
          plugin,
          key: `member ${memberId}`,
          message: `another agent runs as member ${memberId}`,
        }),
    );
    this.#membership = await FleetMembership.join({
      client,
      memberId,
      plugin,
      host: this.#options.host,
      schema: this.#names.schema,
      ...(this.#options.figures === undefined ? {} : { figures: this.#options.figures }),
      ...(this.#options.heartbeatMs === undefined ? {} : { heartbeatMs: this.#options.heartbeatMs }),
      onError: (error) => {
        this.#events.emit('error', { error });
      },
    });
    const interrupted = await loseInterruptedCommands(client, this.#names, memberId);
    if (interrupted.length > 0) this.#events.emit('interrupted', { commands: interrupted });
    client.on('notification', (message) => {
      if (message.channel !== this.#names.channel || message.payload === undefined) return;
      let payload: { member?: unknown; state?: unknown; report?: unknown; for?: unknown } = {};
      try {
        payload = JSON.parse(message.payload) as typeof payload;
      } catch {
        // not the trigger's: the poll still finds every command
      }
      if (payload.member === memberId && payload.state === 'pending') this.wake();
      if (Array.isArray(payload.report) && payload.report.includes(memberId)) void this.#report(String(payload.for));
    });
    await withPg({ fleetPhase: 'listen', key: `member ${memberId}`, message: `member ${memberId}: LISTEN` }, () =>
      client.query(`LISTEN "${this.#names.channel}"`),
    );
    const every = this.#options.pollMs ?? 1000;
    if (every > 0) {
      this.#poll = setInterval(() => {
        this.wake();
      }, every);
      this.#poll.unref();
    }
    this.wake();
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        if (this.#abort.signal.aborted) return;
        const command = await claimNextCommand(this.#client, this.#names, this.memberId);
        if (command === undefined) return;
        await this.#run(command);
      }
    } catch (error) {
      this.#events.emit('error', { error: toFleetError(error, 'claim', `member ${this.memberId}: running commands`) });
    }
  }

  async #run(command: CommandRow): Promise<void> {
    this.#events.emit('commandStarted', { command });
    const membership = this.#membership!;
    // A claimed command always gets an end: a failing figures read only loses the gate's baseline.
    const before = await membership.report().then(
      (report) => report.figures,
      () => undefined,
    );
    const result = await runCommand(command, {
      host: this.#options.host,
      plugin: this.#options.plugin,
      loadArtifact: this.#options.loadArtifact,
      format: this.#options.format,
      reloadOptions: this.#options.reloadOptions ?? {},
      signal: this.#abort.signal,
      before,
    });
    const recorded = await recordCommandEnd(this.#client, this.#names, command, result);
    this.#events.emit('commandEnded', { command, result, recorded });
    await membership.heartbeat().catch((error: unknown) => {
      this.#events.emit('error', { error: toFleetError(error, 'heartbeat', `member ${this.memberId}: heartbeat`) });
    });
  }

  /** A coordinator's gate asks for figures: a heartbeat now, and a notification that it was sent. */
  async #report(rolloutId: string): Promise<void> {
    try {
      await this.#membership?.heartbeat();
      await this.#client.query('SELECT pg_notify($1, $2)', [
        this.#names.channel,
        JSON.stringify({ rollout: rolloutId, member: this.memberId, reported: true }),
      ]);
    } catch (error) {
      if (this.#abort.signal.aborted) return;
      this.#events.emit('error', { error: toFleetError(error, 'heartbeat', `member ${this.memberId}: report`) });
    }
  }

  #fail(error: unknown): void {
    this.#events.emit('error', {
      error: toFleetError(error, 'listen', `member ${this.memberId}: the connection failed`, 'IO_FAILED'),
    });
    void this.close();
  }

  async #close(): Promise<void> {
    clearInterval(this.#poll);
    this.#abort.abort(fleetError({ code: 'ABORTED', fleetPhase: 'command', message: 'the fleet agent closed' }));
    await this.#draining;
    await this.#membership?.leave().catch(() => undefined);
    await this.#client.end().catch(() => undefined);
  }
}
