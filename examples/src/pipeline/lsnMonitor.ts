import pg from 'pg';
import { parseLsn } from '@baton/postgres';

/**
 * Samples the slot's confirmed position against the sink's checkpoint during the whole run: at
 * every confirmation the pump makes and every `intervalMs`. Each sample reads the slot first
 * (`pg_replication_slots.confirmed_flush_lsn`, and at a confirmation also the position the source
 * just reported), then the sink's committed checkpoint; the checkpoint only grows, so a slot ahead
 * of it cannot hide behind the order of the reads.
 */
export class LsnMonitor {
  samples = 0;
  atConfirmations = 0;
  /** Samples where the slot was ahead of the sink's checkpoint (must stay empty). */
  readonly ahead: string[] = [];
  /** Largest distance the slot trailed the sink's checkpoint, in bytes of WAL. */
  maxTrailBytes = 0n;
  readonly errors: string[] = [];
  /** The last sample: the slot's confirmed position and the sink's checkpoint. */
  last: { readonly slot: bigint; readonly checkpoint: bigint } | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #tail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly client: pg.Client,
    private readonly slot: string,
    private readonly offsets: string,
    private readonly output: string,
  ) {}

  static async open(url: string, slot: string, sinkSchema: string, output: string): Promise<LsnMonitor> {
    const client = new pg.Client({ connectionString: url, application_name: 'baton demo lsn monitor' });
    client.on('error', () => undefined);
    await client.connect();
    return new LsnMonitor(client, slot, `${sinkSchema}.baton_cdc_offsets`, output);
  }

  /** Samples every `intervalMs` until {@link close}. */
  start(intervalMs: number): void {
    this.#timer ??= setInterval(() => void this.sample(), intervalMs);
  }

  /** Takes one sample; `reported` is the position the source just confirmed to the slot. */
  sample(reported?: bigint): Promise<void> {
    const run = async (): Promise<void> => {
      const slot = await this.client.query<{ lsn: string | null }>(
        'SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1',
        [this.slot],
      );
      const sink = await this.client.query<{ lsn: string }>(
        `SELECT lsn::text AS lsn FROM ${this.offsets} WHERE output = $1`,
        [this.output],
      );
      const text = slot.rows[0]?.lsn;
      const checkpointText = sink.rows[0]?.lsn;
      if (text === undefined || text === null || checkpointText === undefined) return;
      const slotLsn = parseLsn(text);
      const checkpoint = parseLsn(checkpointText);
      this.samples++;
      this.last = { slot: slotLsn, checkpoint };
      if (reported !== undefined) this.atConfirmations++;
      for (const [what, lsn] of [
        ['slot', slotLsn],
        ['reported', reported],
      ] as const)
        if (lsn !== undefined && lsn > checkpoint) this.ahead.push(`${what} ${lsn} > sink checkpoint ${checkpoint}`);
      if (checkpoint - slotLsn > this.maxTrailBytes) this.maxTrailBytes = checkpoint - slotLsn;
    };
    this.#tail = this.#tail.then(run).catch((error: unknown) => {
      if (this.errors.length < 3) this.errors.push(error instanceof Error ? error.message : String(error));
    });
    return this.#tail;
  }

  /** Stops sampling and closes the connection (after the samples in flight). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tail;
    await this.client.end().catch(() => undefined);
  }
}
