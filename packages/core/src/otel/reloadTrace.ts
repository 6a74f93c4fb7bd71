/**
 * The spans of one reload, made from the host's events as they arrive: a `baton.reload` span from
 * `started` to `retired` (or `rolledBack`), a child span per phase, and a span per handoff under
 * the phase that ran it. A phase span ends when its event arrives; a handoff span ends with its
 * phase and lasts its own measured time. The reload that fails ends the phase it was in, and its
 * root, with an error status carrying the `ReloadError`'s code.
 */
import { SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Span, Tracer } from '@opentelemetry/api';
import type { HandoffRecord } from '../dispatch/reloadOutcome.js';
import type { HostEventMap, ReloadEventBase } from '../events/hostEvents.js';

/** The phase spans, in order, and the event that ends each (the next one starts there). */
const PHASES = [
  ['baton.reload.stage', 'compatChecked'],
  ['baton.reload.prepare', 'prepared'],
  ['baton.reload.quiesce', 'quiesced'],
  ['baton.reload.drain', 'drained'],
  ['baton.reload.dispatch', 'dispatched'],
  ['baton.reload.commit', 'committed'],
  ['baton.reload.retire', 'retired'],
] as const;

type PhaseEvent = (typeof PHASES)[number][1];

/** Epoch milliseconds, with the precision of `performance.now()`. */
const now = (): number => performance.timeOrigin + performance.now();

/** Attributes of a handoff record: its kind and name, and the numbers and strings of its detail. */
function handoffAttributes(record: HandoffRecord): Attributes {
  const attributes: Attributes = { 'baton.kind': record.kind, 'baton.resource': record.name };
  for (const [key, value] of Object.entries(record.detail))
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
      attributes[`baton.handoff.${key}`] = value;
  return attributes;
}

/** One reload's spans, fed by its events. */
export class ReloadTrace {
  readonly #tracer: Tracer;
  readonly #root: Span;
  #phase = 0;
  #current: Span;
  #phaseStart: number;

  constructor(tracer: Tracer, event: ReloadEventBase) {
    this.#tracer = tracer;
    const start = now();
    this.#root = tracer.startSpan('baton.reload', {
      startTime: start,
      attributes: {
        'baton.reload.id': event.reloadId,
        'baton.plugins': event.plugins.map((p) => p.name),
        'baton.versions.from': event.plugins.map((p) => p.from),
        'baton.versions.to': event.plugins.map((p) => p.to),
      },
    });
    this.#phaseStart = start;
    this.#current = this.#child(PHASES[0][0], start);
  }

  #child(name: string, start: number, parent: Span = this.#root, attributes?: Attributes): Span {
    return this.#tracer.startSpan(
      name,
      { startTime: start, ...(attributes ? { attributes } : {}) },
      trace.setSpan(context.active(), parent),
    );
  }

  /** A phase event arrived: ends the phases up to it, and starts the next. */
  phase<E extends PhaseEvent>(event: E, payload: HostEventMap[E]): void {
    const at = PHASES.findIndex(([, e]) => e === event);
    if (at < this.#phase) return;
    const end = now();
    // Phases a reload skips (none today) end where the event arrives.
    while (this.#phase < at) this.#advance(end);
    const handoffs = (payload as { handoffs?: readonly HandoffRecord[] }).handoffs ?? [];
    for (const record of handoffs) {
      const span = this.#child(
        `baton.handoff ${record.kind}`,
        Math.max(this.#phaseStart, end - record.ms),
        this.#current,
        handoffAttributes(record),
      );
      span.end(end);
    }
    this.#advance(end);
    if (event === 'retired') this.#root.end(end);
  }

  #advance(end: number): void {
    this.#current.end(end);
    this.#phase++;
    this.#phaseStart = end;
    const next = PHASES[this.#phase];
    if (next !== undefined) this.#current = this.#child(next[0], end);
  }

  /** The reload rolled back: the phase it was in and the root end with its error. */
  rolledBack(payload: HostEventMap['rolledBack']): void {
    const end = now();
    const status = { code: SpanStatusCode.ERROR, message: `${payload.error.code}: ${payload.error.message}` };
    for (const span of [this.#current, this.#root]) {
      span.setAttributes({ 'baton.error.code': payload.error.code, 'baton.error.phase': payload.phase });
      span.recordException(payload.error);
      span.setStatus(status);
      span.end(end);
    }
  }
}
