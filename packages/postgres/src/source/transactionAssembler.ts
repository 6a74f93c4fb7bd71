import { ReloadError } from '@baton/core';
import type { CdcBatch } from '@baton/core';
import type { Pgoutput } from 'pg-logical-replication';
import { parseLsn } from '../lsn/lsn.js';
import { changeBatch } from './cdcLayout.js';
import { qualifiedName } from './changeRow.js';
import type { ChangeRow, ChangeValues } from './changeRow.js';

/** A message the text plugin could not decode (see `textPgoutputPlugin.ts`). */
export interface UndecodableMessage {
  readonly tag: 'undecodable';
  readonly error: unknown;
  readonly bytes: number;
}

/** What the assembler reads: pgoutput messages as pg-logical-replication parses them, or a decode failure. */
export type SourceMessage = Pgoutput.Message | UndecodableMessage;

interface OpenTransaction {
  readonly commitLsn: bigint;
  readonly commitTime: number;
  readonly xid: number;
  readonly rows: ChangeRow[];
}

/**
 * Turns the pgoutput messages of one replication session into one `CdcBatch` per committed
 * transaction: `lsnStart` is the transaction's commit LSN (where its commit record starts), `lsnEnd`
 * the end of that record, so consecutive transactions never overlap (commit records follow each
 * other in the WAL) and confirming `lsnEnd` to the slot resumes exactly at the next transaction —
 * never inside one. Every change between BEGIN and COMMIT is one row of the batch, in order.
 *
 * A message out of place (a change outside a transaction, two BEGINs, a COMMIT of another
 * transaction, LSNs going backwards) or one that could not be decoded is `CORRUPT_INPUT`.
 */
export class TransactionAssembler {
  #open: OpenTransaction | undefined;
  #lastEnd: bigint | undefined;
  /** Since the last {@link resume}, no transaction was kept: one the server sends again is dropped. */
  #resumed = false;
  #dropped = 0;

  constructor(private readonly source: string) {}

  /** Transactions dropped after a {@link resume} because they had been assembled already. */
  get dropped(): number {
    return this.#dropped;
  }

  /**
   * A new replication session takes over (after a lost connection): the transaction being received
   * is discarded — the server sends it again, whole — and until a new transaction completes, a
   * transaction whose commit LSN is before the end of the last one assembled is dropped instead of
   * refused: the server resends from the slot's confirmed position (or earlier, after a crash), and
   * the same commit LSN is the same transaction, already handed over.
   */
  resume(): void {
    this.#open = undefined;
    this.#resumed = true;
  }

  /**
   * Reads one message; returns the batch when it completes a transaction (not one dropped as sent
   * again after a {@link resume}).
   */
  accept(message: SourceMessage): CdcBatch | undefined {
    switch (message.tag) {
      case 'undecodable':
        throw this.corrupt(`a pgoutput message of ${message.bytes} bytes could not be decoded`, message.error);
      case 'begin': {
        if (this.#open) throw this.corrupt(`BEGIN of transaction ${message.xid} inside transaction ${this.#open.xid}`);
        const commitLsn = this.lsn(message.commitLsn, 'BEGIN commit LSN');
        this.#open = { commitLsn, commitTime: micros(message.commitTime), xid: message.xid, rows: [] };
        return undefined;
      }
      case 'insert':
        this.transaction('INSERT').rows.push(this.row('insert', message.relation, null, message.new, null));
        return undefined;
      case 'update': {
        const old = message.old ?? null;
        const identity = message.key ?? old ?? message.new;
        this.transaction('UPDATE').rows.push(this.row('update', message.relation, identity, message.new, old));
        return undefined;
      }
      case 'delete': {
        const old = message.old ?? null;
        const identity = message.key ?? old;
        if (identity === null) throw this.corrupt('a DELETE without key or old row');
        this.transaction('DELETE').rows.push(this.row('delete', message.relation, identity, null, old));
        return undefined;
      }
      case 'truncate': {
        const open = this.transaction('TRUNCATE');
        for (const relation of message.relations as (Pgoutput.MessageRelation | undefined)[]) {
          if (!relation) throw this.corrupt('a TRUNCATE of a relation that was never described');
          open.rows.push({
            op: 'truncate',
            table: qualifiedName(relation.schema, relation.name),
            key: null,
            new: null,
            old: null,
          });
        }
        return undefined;
      }
      case 'commit':
        return this.commit(message);
      case 'relation':
      case 'type':
      case 'origin':
      case 'message':
        return undefined; // relations and types are cached by the parser; origins and messages carry no rows
    }
  }

  private commit(message: Pgoutput.MessageCommit): CdcBatch | undefined {
    const open = this.transaction('COMMIT');
    const commitLsn = this.lsn(message.commitLsn, 'COMMIT commit LSN');
    const lsnEnd = this.lsn(message.commitEndLsn, 'COMMIT end LSN');
    if (commitLsn !== open.commitLsn)
      throw this.corrupt(
        `COMMIT at LSN ${commitLsn} closes transaction ${open.xid}, which BEGIN said commits at ${open.commitLsn}`,
      );
    if (lsnEnd <= commitLsn) throw this.corrupt(`COMMIT end LSN ${lsnEnd} is not after its commit LSN ${commitLsn}`);
    if (this.#lastEnd !== undefined && commitLsn < this.#lastEnd && this.#resumed) {
      this.#open = undefined; // sent again after a reconnection: handed over already
      this.#dropped++;
      return undefined;
    }
    if (this.#lastEnd !== undefined && commitLsn < this.#lastEnd)
      throw this.corrupt(
        `transaction ${open.xid} commits at LSN ${commitLsn}, before the previous one ended (${this.#lastEnd})`,
      );
    this.#open = undefined;
    this.#lastEnd = lsnEnd;
    this.#resumed = false;
    return { lsnStart: commitLsn, lsnEnd, mutations: changeBatch(open.rows), commitTimestamp: open.commitTime };
  }

  private row(
    op: ChangeRow['op'],
    relation: Pgoutput.MessageRelation,
    identity: Record<string, unknown> | null,
    next: Record<string, unknown> | null,
    old: Record<string, unknown> | null,
  ): ChangeRow {
    const table = qualifiedName(relation.schema, relation.name);
    const keyColumns = relation.keyColumns;
    const keySource = identity ?? next;
    const key = keyColumns.length === 0 || keySource === null ? null : this.values(table, keySource, keyColumns);
    return {
      op,
      table,
      key,
      new: next === null ? null : this.values(table, next),
      old: old === null ? null : this.values(table, old),
    };
  }

  /** The text values of `tuple` (only `columns` when given); a value that is not text or NULL is corrupt. */
  private values(table: string, tuple: Record<string, unknown>, columns?: readonly string[]): ChangeValues {
    const out: Record<string, string | null> = {};
    for (const column of columns ?? Object.keys(tuple)) {
      const value = tuple[column];
      if (value === undefined) continue; // an unchanged TOASTed value PostgreSQL did not send
      if (value !== null && typeof value !== 'string')
        throw this.corrupt(
          `column ${column} of ${table} holds a ${typeof value}, not text (binary mode is not requested)`,
        );
      out[column] = value;
    }
    return out;
  }

  private transaction(what: string): OpenTransaction {
    if (!this.#open) throw this.corrupt(`${what} outside a transaction`);
    return this.#open;
  }

  private lsn(text: string | null, what: string): bigint {
    if (text === null) throw this.corrupt(`${what} is missing`);
    try {
      return parseLsn(text, what);
    } catch (error) {
      throw this.corrupt(`${what} is not an LSN`, error);
    }
  }

  private corrupt(message: string, cause?: unknown): ReloadError {
    return new ReloadError({
      code: 'CORRUPT_INPUT',
      phase: 'decode',
      message: `change source '${this.source}': ${message}`,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** Milliseconds since the Unix epoch from the parser's microseconds. */
function micros(value: unknown): number {
  return typeof value === 'bigint' ? Number(value / 1000n) : Number.NaN;
}
