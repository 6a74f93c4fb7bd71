/**
 * `@baton/kinds`: concrete, reload-safe kinds for Baton hosts — CRDTs, Arrow logical types, index
 * kinds, CDC outputs, and reference providers of the clean surfaces. See the package README for
 * what each kind persists and how it behaves on reload.
 *
 * @packageDocumentation
 */

// Codec shared by every persisted format
export { pack, packr, unpack } from './codec/packr.js';
export { DEFAULT_MAX_ENVELOPE_BYTES, decodeEnvelope, encodeEnvelope, peekEnvelope } from './codec/envelope.js';
export type { Envelope, EnvelopeExpectation } from './codec/envelope.js';
