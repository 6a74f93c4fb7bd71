/** Kind name (registry key) of the flat vector index. */
export const FLAT_VECTOR_KIND = 'flat-vector';
/**
 * Name of the query column a flat-vector probe reads (a batch with a single column may name it
 * anything), and of the vector column in a format-1 file.
 */
export const VECTOR_QUERY_COLUMN = 'vector';
/** Kind name (registry key) of the ordered index. */
export const ORDERED_KIND = 'ordered';

/** Default limit on an index's data (vectors or keys, plus row ids): 1 GiB. */
export const DEFAULT_MAX_INDEX_BYTES = 1024 * 1024 * 1024;
/** Default limit on the rows one probe may return: 2^24. */
export const DEFAULT_MAX_PROBE_RESULTS = 1 << 24;
/** Largest number of source rows an index accepts (row ids are Int32 in probe results). */
export const MAX_INDEX_ROWS = 0x7fffffff;
/** Largest vector dimension the flat vector index accepts. */
export const MAX_VECTOR_DIM = 65536;
