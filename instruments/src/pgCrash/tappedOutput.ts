import type { CdcBatch, CdcOutputProvider, CdcStream, CallOptions, PluginHost } from '@baton/core';
import type { PostgresCdcOutput } from '@baton/postgres';
import type { KillPoint } from './killPoints.js';

/** What a tapped output reports to the engine. */
export interface OutputTaps {
  /** The engine reached a kill point. */
  reach(point: KillPoint): void;
}

/**
 * Tracks whether a reload's dispatch (where the CDC handoff runs) is under way: from `quiesced`
 * until `dispatched` or `rolledBack`. A checkpoint, shutdown or start meanwhile is the handoff's.
 */
export function handoffTracker(host: PluginHost): () => boolean {
  let handingOff = false;
  host.on('quiesced', () => (handingOff = true));
  host.on('dispatched', () => (handingOff = false));
  host.on('rolledBack', () => (handingOff = false));
  return () => handingOff;
}

/**
 * A {@link postgresCdcOutput} as the engine's plugins register it, tapped: the handoff's steps
 * (`handoff.checkpoint` after the old stream's checkpoint was read, `handoff.shutdown` after it let
 * go of the sink, `handoff.start` after the new stream took it) and the sink's deliveries are reported
 * to the kill switch. The tap only observes: every call goes to the real output unchanged.
 */
export function tappedOutput(
  output: PostgresCdcOutput,
  taps: OutputTaps,
  handingOff: () => boolean,
  delivery: { active: boolean },
): CdcOutputProvider {
  const tap = (stream: CdcStream): CdcStream => ({
    async deliver(batch: CdcBatch): Promise<void> {
      delivery.active = true;
      try {
        await stream.deliver(batch);
      } finally {
        delivery.active = false;
      }
    },
    async checkpoint(options?: CallOptions): Promise<bigint> {
      const lsn = await stream.checkpoint(options);
      if (handingOff()) taps.reach('handoff.checkpoint');
      return lsn;
    },
    async shutdown(options?: CallOptions): Promise<void> {
      await stream.shutdown(options);
      if (handingOff()) taps.reach('handoff.shutdown');
    },
  });
  return {
    name: output.name,
    async start(options) {
      const stream = await output.start(options);
      if (handingOff()) taps.reach('handoff.start');
      return tap(stream);
    },
  };
}
