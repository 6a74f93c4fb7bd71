import { PgoutputPlugin } from 'pg-logical-replication';
import type { Pgoutput } from 'pg-logical-replication';
import type { SourceMessage } from './transactionAssembler.js';

const asText = (text: unknown): unknown => text;

/**
 * pg-logical-replication's pgoutput plugin (protocol version 1: whole transactions, sent at commit),
 * with two changes:
 *
 * - values stay PostgreSQL's text: the parser would run `pg`'s global type parsers (int8 and numeric
 *   as strings, timestamptz as a millisecond `Date`, jsonb parsed…), losing microseconds and
 *   precision; each relation's columns get the identity parser instead, at parse time, before any
 *   row of that relation is read;
 * - a message it cannot parse becomes an {@link SourceMessage} of tag `undecodable` instead of an
 *   exception thrown inside the socket's data handler (which would crash the process); the change
 *   source fails with `CORRUPT_INPUT`.
 */
export class TextPgoutputPlugin extends PgoutputPlugin {
  constructor(publication: string) {
    super({ protoVersion: 1, publicationNames: [publication] });
  }

  // Declared as the base class's type (the service passes it on untyped); it is a SourceMessage.
  override parse(buffer: Buffer): Pgoutput.Message {
    let message: Pgoutput.Message;
    try {
      message = super.parse(buffer);
    } catch (error) {
      const undecodable: SourceMessage = { tag: 'undecodable', error, bytes: buffer.length };
      return undecodable as unknown as Pgoutput.Message;
    }
    if (message.tag === 'relation') for (const column of message.columns) column.parser = asText;
    return message;
  }
}
