/**
 * What a host writes to its logger: what would otherwise go unseen. A background job tick that
 * threw and an event listener that threw are errors; an old resource that failed to close at retire
 * and the timers and listeners a retired version still held are warnings; a committed or refused
 * reload is info (when the logger has `info`: the caller of `reload` has its outcome already). Each line is `(fields, message)`, the call
 * pino and console share: pino keeps the fields as structured data, console prints both.
 */
import type { HostEvents } from './hostEvents.js';

/** A logger: `console`, a pino logger, or anything with these methods. */
export interface HostLogger {
  error(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  info?(fields: object, message: string): void;
}

/** The default logger: errors and warnings to the console's standard error; no info. */
export const consoleLogger: HostLogger = {
  error: (fields, message) => {
    console.error(`[baton] ${message}`, fields);
  },
  warn: (fields, message) => {
    console.warn(`[baton] ${message}`, fields);
  },
};

const versions = (plugins: readonly { name: string; from: string; to: string }[]): string =>
  plugins.map((p) => `${p.name} ${p.from} → ${p.to}`).join(', ');

/** Writes `events` to `logger`; returns the function that stops it. */
export function attachLogger(events: HostEvents, logger: HostLogger): () => void {
  const offs = [
    events.on('jobFailed', (e) => {
      logger.error(
        { plugin: e.plugin, job: e.job, version: e.version, err: e.error },
        `background job '${e.job}' of ${e.plugin} ${e.version} threw; it keeps its schedule`,
      );
    }),
    events.on('listenerError', (e) => {
      logger.error({ event: e.event, err: e.error }, `a listener of the host event '${e.event}' threw`);
    }),
    events.on('rolledBack', (e) => {
      logger.info?.(
        { reloadId: e.reloadId, code: e.error.code, phase: e.phase, err: e.error },
        `reload ${versions(e.plugins)} refused at ${e.phase} (${e.error.code}): the old versions serve`,
      );
    }),
    events.on('retired', (e) => {
      for (const error of e.errors)
        logger.warn(
          { reloadId: e.reloadId, err: error },
          `reload ${versions(e.plugins)}: an old resource or scope failed to close at retire`,
        );
    }),
    events.on('leftovers', (e) => {
      logger.warn(
        { plugin: e.plugin, version: e.version, leftovers: e.leftovers.map((l) => l.what) },
        `${e.plugin} ${e.version} still held ${e.leftovers.length} timer(s) or listener(s) when it retired; cleared`,
      );
    }),
    events.on('committed', (e) => {
      logger.info?.(
        { reloadId: e.reloadId, pauseMs: e.pauseMs, queued: e.queued },
        `reload ${versions(e.plugins)} committed`,
      );
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
