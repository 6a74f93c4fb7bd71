/**
 * The world of one fleet trial: databases on one embedded PostgreSQL (the source the writers write
 * and the slot reads; the fleet's database holding the fleet's tables, the sink, the stream's lease
 * and the exchanged CRDT states), the signed plugin artifacts, writer clients committing
 * transactions, and the member processes. {@link FleetWorld.finish} ends it and checks it: every
 * committed change at the sink exactly once, the slot at the sink's checkpoint, no failed call at any
 * member's clients, and CRDT values converged.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@baton/core/loader';
import { ensureFleetSchema, ensureFormatSchema, ensureLeaseSchema } from '@baton/fleet';
import { gCounter } from '@baton/kinds';
import type { PostgresServer } from '@baton/postgres';
import pg from 'pg';
import { checkEnd } from '../pgCrash/trialChecks.js';
import { startWriters, sourceTablesSql } from '../pgCrash/writers.js';
import type { WriterLog } from '../pgCrash/writers.js';
import { TrialChild } from './childProcess.js';
import type { ChildLine } from './childProcess.js';
import { CRDT_STATES, ensureCrdtTable } from './crdtGossip.js';
import type { CoordinatorOrders } from './coordinatorOrders.js';
import type { MemberOrders } from './memberOrders.js';
import type { MemberPlan } from './memberSwitch.js';
import { buildTrialArtifacts } from './trialPlugin.js';
import type { TrialArtifacts } from './trialPlugin.js';
import { finishTrial } from './trialEnd.js';
import type { TrialEnd } from './trialEnd.js';

/** Options of {@link FleetWorld.open}. */
export interface FleetWorldOptions {
  /** The server (shared by the trials of a file; each world makes databases and a slot of its own). */
  readonly server: PostgresServer;
  /** A name for the world's databases and slot (lower-case letters, digits, _). */
  readonly name: string;
  readonly seed: number;
  /** Writer clients (default 2) and their pause between transactions (0–`pauseMs`, default 60 ms). */
  readonly writers?: number;
  readonly pauseMs?: number;
  /** Member settings (defaults below). */
  readonly member?: Partial<MemberSettings>;
  /** Test only: members whose plugin does not get the fleet's format phases (see `MemberOrders.brokenFormats`). */
  readonly brokenFormats?: boolean;
  /** Hears every line a member prints. */
  readonly onLine?: (member: string, line: ChildLine) => void;
}

/** The settings every member of a world gets. */
export type MemberSettings = Pick<
  MemberOrders,
  | 'clients'
  | 'callIntervalMs'
  | 'incrementMs'
  | 'gossipMs'
  | 'heartbeatMs'
  | 'leaseTtlMs'
  | 'leaseRenewMs'
  | 'startVersion'
>;

const DEFAULTS: MemberSettings = {
  clients: 4,
  callIntervalMs: 10,
  incrementMs: 50,
  gossipMs: 250,
  heartbeatMs: 250,
  leaseTtlMs: 2000,
  leaseRenewMs: 250,
  startVersion: '1.0.0',
};

/** One row of the fleet's `commands`, with its rollout's action and target version. */
export interface FleetCommand {
  readonly id: string;
  readonly rolloutId: string;
  readonly rolloutAction: 'reload' | 'format';
  readonly toVersion: string;
  readonly member: string;
  readonly seq: number;
  readonly action: 'reload' | 'rollback' | 'format';
  readonly state: string;
  /** The version the command's artifact names. */
  readonly version: string;
}

/** The marker the driver commits after the writers' last transaction. */
const END_MARKER = 'fleet-end-marker';
const OUTPUT = 'fleet_events';
const STREAM = 'fleet-events';

/** Drops a world's databases (their sessions ended by force: the members are gone, what is left is idle). */
async function dropDatabases(server: PostgresServer, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    for (const database of [`${name}_source`, `${name}_fleet`])
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } catch {
    // best effort: an embedded server's directory goes with it anyway
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** One trial's world. */
export class FleetWorld implements AsyncDisposable {
  readonly name: string;
  readonly server: PostgresServer;
  readonly sourceUrl: string;
  readonly fleetUrl: string;
  readonly slot: string;
  readonly publication: string;
  readonly artifacts: TrialArtifacts;
  readonly members = new Map<string, TrialChild>();
  readonly settings: MemberSettings;
  readonly log: WriterLog;
  readonly #directory: string;
  readonly #trustedKeyPem: string;
  readonly #source: pg.Client;
  readonly #stopWriters: AbortController;
  readonly #writing: Promise<void>;
  readonly #onLine: FleetWorldOptions['onLine'];
  readonly #brokenFormats: boolean;

  private constructor(init: {
    options: FleetWorldOptions;
    /** The world's name with its suffix (its databases' and slot's prefix). */
    name: string;
    artifacts: TrialArtifacts;
    directory: string;
    trustedKeyPem: string;
    source: pg.Client;
  }) {
    const { options } = init;
    this.name = init.name;
    this.server = options.server;
    this.sourceUrl = options.server.urlOf(`${init.name}_source`);
    this.fleetUrl = options.server.urlOf(`${init.name}_fleet`);
    this.slot = `${init.name}_slot`;
    this.publication = `${init.name}_pub`;
    this.artifacts = init.artifacts;
    this.settings = { ...DEFAULTS, ...options.member };
    this.#directory = init.directory;
    this.#trustedKeyPem = init.trustedKeyPem;
    this.#source = init.source;
    this.#onLine = options.onLine;
    this.#brokenFormats = options.brokenFormats ?? false;
    this.#stopWriters = new AbortController();
    const writers = startWriters({
      url: this.sourceUrl,
      writers: options.writers ?? 2,
      seed: options.seed,
      pauseMs: options.pauseMs ?? 60,
      signal: this.#stopWriters.signal,
    });
    this.log = writers.log;
    this.#writing = writers.done;
    this.#writing.catch(() => undefined);
  }

  /**
   * Makes the world's databases (source tables, publication, slot; the lease and CRDT tables), builds
   * and signs the artifacts, and starts the writers (after the slot exists: it sees every change).
   */
  static async open(options: FleetWorldOptions): Promise<FleetWorld> {
    if (!/^[a-z][a-z0-9_]{0,30}$/.test(options.name)) throw new Error(`bad world name ${options.name}`);
    // Databases and the slot get a suffix of their own: a server may hold other worlds of the same name.
    const name = `${options.name}_${randomBytes(4).toString('hex')}`;
    const directory = await mkdtemp(join(tmpdir(), `baton-fleet-${options.name}-`));
    const key = generateSigningKey();
    const source = new pg.Client({ connectionString: await options.server.createDatabase(`${name}_source`) });
    const fleet = new pg.Client({ connectionString: await options.server.createDatabase(`${name}_fleet`) });
    try {
      const artifacts = await buildTrialArtifacts(join(directory, 'artifacts'), key.privateKeyPem);
      await source.connect();
      await fleet.connect();
      await source.query(`${sourceTablesSql} CREATE PUBLICATION ${name}_pub FOR TABLE events, counters;`);
      await source.query(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [`${name}_slot`]);
      await ensureFleetSchema(fleet);
      await ensureFormatSchema(fleet);
      await ensureLeaseSchema(fleet);
      await ensureCrdtTable(fleet);
      await fleet.end();
      return new FleetWorld({
        options,
        name,
        artifacts,
        directory,
        trustedKeyPem: key.publicKeyPem,
        source,
      });
    } catch (error) {
      await source.end().catch(() => undefined);
      await fleet.end().catch(() => undefined);
      await rm(directory, { recursive: true, force: true });
      await dropDatabases(options.server, name);
      throw error;
    }
  }

  /** Spawns member `id` (it loads its modules at once) and sends its orders. */
  spawnMember(id: string, options: { cdc: boolean; plan?: MemberPlan }): TrialChild {
    const child = new TrialChild(id, 'memberProcess.ts', (_child, line) => this.#onLine?.(id, line));
    this.members.set(id, child);
    const orders: MemberOrders = {
      ...this.settings,
      memberId: id,
      fleetUrl: this.fleetUrl,
      sourceUrl: this.sourceUrl,
      slot: this.slot,
      publication: this.publication,
      output: OUTPUT,
      stream: STREAM,
      marker: END_MARKER,
      artifacts: this.artifacts,
      trustedKeyPem: this.#trustedKeyPem,
      cdc: options.cdc,
      brokenFormats: this.#brokenFormats,
      ...(options.plan === undefined ? {} : { plan: options.plan }),
    };
    child.send(orders);
    return child;
  }

  /**
   * Spawns a coordinator (it loads its modules at once: spawn it early); send it its rollout with
   * {@link FleetWorld.orderRollout}.
   */
  spawnCoordinator(name = 'coordinator'): TrialChild {
    return new TrialChild(name, 'coordinatorProcess.ts', (_child, line) => this.#onLine?.(name, line));
  }

  /** Sends a coordinator its rollout (see `CoordinatorOrders`). */
  orderRollout(
    coordinator: TrialChild,
    rollout: Pick<CoordinatorOrders, 'from' | 'to' | 'policy' | 'resume' | 'switchFormats'>,
  ): void {
    const orders: CoordinatorOrders = {
      ...rollout,
      fleetUrl: this.fleetUrl,
      artifacts: this.artifacts,
      trustedKeyPem: this.#trustedKeyPem,
      pollMs: 100,
    };
    coordinator.send(orders);
  }

  /** The fleet's commands, oldest first, with their rollout's action and target version. */
  async commands(): Promise<FleetCommand[]> {
    const client = new pg.Client({ connectionString: this.fleetUrl });
    await client.connect();
    try {
      const { rows } = await client.query<FleetCommand>(
        `SELECT c.id::text AS id, c.rollout_id::text AS "rolloutId", r.action AS "rolloutAction",
                r.to_version AS "toVersion", c.member_id AS member, c.seq, c.action, c.state,
                c.artifact->>'version' AS version
           FROM baton_fleet.commands c JOIN baton_fleet.rollouts r ON r.id = c.rollout_id ORDER BY c.id`,
      );
      return rows;
    } finally {
      await client.end();
    }
  }

  /**
   * Starts members `m1`…`m<count>` and waits until each joined; `m1` takes the CDC stream first,
   * then the others compete for it too (standbys). Returns them in order.
   */
  async startMembers(count: number, plans: Readonly<Record<string, MemberPlan>> = {}): Promise<TrialChild[]> {
    const ids = Array.from({ length: count }, (_, i) => `m${i + 1}`);
    const children = ids.map((id) =>
      this.spawnMember(id, { cdc: id === 'm1', ...(plans[id] === undefined ? {} : { plan: plans[id] }) }),
    );
    await Promise.all(children.map((child) => child.expect('joined', 60_000)));
    await children[0]!.expect('cdcStarted', 30_000);
    for (const child of children.slice(1)) child.send({ cmd: 'cdc' });
    return children;
  }

  /** The member that printed `cdcStarted` last and has not been fenced, lost its lease or died since. */
  cdcOwner(): TrialChild | undefined {
    let owner: TrialChild | undefined;
    let since = -1;
    for (const child of this.members.values()) {
      const started = child.last('cdcStarted');
      if (started && started.at > since && !child.done) {
        owner = child;
        since = started.at;
      }
    }
    return owner;
  }

  /** Members still running. */
  live(): TrialChild[] {
    return [...this.members.values()].filter((child) => !child.done);
  }

  /**
   * Ends the trial and checks it: the writers stop, the end marker is committed and awaited at the
   * sink, every live member stops its clients and publishes its CRDT state, merges everyone's and
   * reports its value, then stops (the CDC owner confirming what it delivered); the sink and the slot
   * are checked against what the writers committed (`checkEnd` of the PostgreSQL crash trial).
   */
  async finish(timeoutMs = 60_000): Promise<TrialEnd> {
    this.#stopWriters.abort();
    await this.#writing;
    await this.#source.query(`INSERT INTO events (id, writer, note) VALUES ($1, -1, 'end')`, [END_MARKER]);
    return finishTrial(this, {
      timeoutMs,
      checkSink: () =>
        checkEnd({
          source: this.#source,
          sinkOptions: { name: 'audit', url: this.fleetUrl, output: OUTPUT },
          slot: this.slot,
          log: this.log,
          marker: END_MARKER,
        }),
      mergedStates: () => this.#mergedStates(),
    });
  }

  /** The value of every published CRDT state merged (by a provider reading both formats). */
  async #mergedStates(): Promise<number> {
    const client = new pg.Client({ connectionString: this.fleetUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ bytes: Buffer }>(`SELECT bytes FROM ${CRDT_STATES}`);
      const provider = gCounter({ format: 2 });
      const merged = provider.empty();
      for (const row of rows) merged.merge(provider.fromPersisted(new Uint8Array(row.bytes)));
      return merged.value();
    } finally {
      await client.end();
    }
  }

  /** Kills every member still running, stops the writers, drops the world's slot and removes its directory. */
  async close(): Promise<void> {
    this.#stopWriters.abort();
    await Promise.all([...this.members.values()].map((child) => child.kill()));
    await this.#writing.catch(() => undefined);
    await this.#source
      .query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1`, [this.slot])
      .catch(() => undefined);
    await this.#source.end().catch(() => undefined);
    await rm(this.#directory, { recursive: true, force: true });
    await dropDatabases(this.server, this.name);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
