import type { MemberPlan } from './memberSwitch.js';

/** What the driver sends a member first (one JSON line on its stdin). */
export interface MemberOrders {
  readonly memberId: string;
  /** The database of the fleet's tables, the sink, the lease and the exchanged CRDT states. */
  readonly fleetUrl: string;
  /** The database the writers write and the slot reads. */
  readonly sourceUrl: string;
  readonly slot: string;
  readonly publication: string;
  /** The sink's output name, and the lease's stream. */
  readonly output: string;
  readonly stream: string;
  /** The id of the change the driver commits after the writers' last one. */
  readonly marker: string;
  /** version → signed artifact directory, and the public key that signed them. */
  readonly artifacts: Readonly<Record<string, string>>;
  readonly trustedKeyPem: string;
  /** The version the member loads first. */
  readonly startVersion: string;
  /** Client loops on `score`, and the wait between one loop's calls. */
  readonly clients: number;
  readonly callIntervalMs: number;
  /** Increments of the member's g-counter replica, and exchanges of states, every so many ms. */
  readonly incrementMs: number;
  readonly gossipMs: number;
  /** Heartbeats of its fleet membership, and its figures line. */
  readonly heartbeatMs: number;
  /** The stream lease's time to live, and how often the owner renews it (others try to take it). */
  readonly leaseTtlMs: number;
  readonly leaseRenewMs: number;
  /** Compete for the stream's lease from the start (else only after a `cdc` command). */
  readonly cdc: boolean;
  /**
   * Test only, a broken member: its plugin is not given the fleet's format phases (the
   * `FleetFormats` host service), so a new version writes its newest formats while the fleet is still
   * mixed — what the trials' convergence check must catch.
   */
  readonly brokenFormats?: boolean;
  /** Planned death or freeze, armed from the start. */
  readonly plan?: MemberPlan;
}

/** What the driver sends a member afterwards (one JSON line each). */
export type MemberCommand =
  /** Arm a planned death or freeze. */
  | { readonly cmd: 'arm'; readonly plan: MemberPlan }
  /** Start competing for the stream's lease. */
  | { readonly cmd: 'cdc' }
  /** Stop the clients and increments, publish the final CRDT state; prints `finished`. */
  | { readonly cmd: 'finish' }
  /** Merge every member's published state; prints `converged` with the value. */
  | { readonly cmd: 'converge' }
  /** Stop the pump (confirming what it delivered), leave the fleet, close the host; prints `stopped` and exits 0. */
  | { readonly cmd: 'stop' };
