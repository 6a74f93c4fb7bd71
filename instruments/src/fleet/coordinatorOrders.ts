import type { RolloutPolicy } from '@baton/fleet';

/** What the driver sends the coordinator (one JSON line on its stdin). */
export interface CoordinatorOrders {
  readonly fleetUrl: string;
  /** version → signed artifact directory, and the public key that signed them. */
  readonly artifacts: Readonly<Record<string, string>>;
  readonly trustedKeyPem: string;
  readonly from: string;
  readonly to: string;
  readonly policy: Partial<RolloutPolicy>;
  /** Resume the plugin's active rollout instead of starting one. */
  readonly resume: boolean;
  /** After a rollout that is done, switch the formats (the second step). */
  readonly switchFormats: boolean;
  /** Milliseconds between the coordinator's polls (the fallback of LISTEN). */
  readonly pollMs: number;
}
