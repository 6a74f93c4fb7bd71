import { UnionMode } from 'apache-arrow';
import type { DataType, Dictionary, Field, FixedSizeList, Union } from 'apache-arrow';
import { childrenOf, fixedWidth, typeName } from './arrowTypes.js';

/** What an Arrow IPC record batch message declares (arrow-js's decoded header). */
export interface BatchLayout {
  readonly length: number;
  readonly nodes: readonly { readonly length: number; readonly nullCount: number }[];
  readonly buffers: readonly { readonly offset: number; readonly length: number }[];
  readonly variadicBufferCounts: readonly number[];
}

/** A column or node length above this is refused (Arrow's 32-bit offsets cannot address more). */
const MAX_LENGTH = 2 ** 31 - 1;

class Invalid extends Error {}

const bytesFor = (bits: number): number => Math.ceil(bits / 8);

/** Bytes per value of a fixed-width type, or `Invalid`. */
function widthOf(type: DataType): number {
  const width = fixedWidth(type);
  if (width === undefined) throw new Invalid(`unsupported parameters of a ${typeName(type)} column`);
  return width;
}

const isValid = (bitmap: Uint8Array | undefined, i: number): boolean =>
  bitmap === undefined || ((bitmap[i >> 3]! >> (i & 7)) & 1) === 1;

/**
 * Walks a record batch's nodes and buffers in the order arrow-js's loader consumes them and checks
 * every column against its type before arrow-js builds it: node lengths and null counts, each
 * buffer inside the body and at least as long as the node length needs (validity bits, values,
 * offsets, type ids, views), offsets ascending and inside the data or child they index, dictionary
 * indices and dense-union offsets inside what they point to, and every node and buffer used.
 * Work is linear in the buffers' sizes, which are inside the body.
 */
class LayoutChecker {
  #node = 0;
  #buffer = 0;
  #variadic = 0;

  constructor(
    readonly layout: BatchLayout,
    readonly body: Uint8Array,
    readonly dictionaryLengths: ReadonlyMap<number, number>,
  ) {}

  #nextNode(what: string): { length: number; nullCount: number } {
    const node = this.layout.nodes[this.#node++];
    if (!node) throw new Invalid(`${what}: the batch has fewer field nodes than its schema needs`);
    const { length, nullCount } = node;
    if (!Number.isSafeInteger(length) || length < 0 || length > MAX_LENGTH)
      throw new Invalid(`${what}: length ${length} is out of range`);
    if (!Number.isSafeInteger(nullCount) || nullCount < 0 || nullCount > length)
      throw new Invalid(`${what}: null count ${nullCount} is outside [0, ${length}]`);
    return { length, nullCount };
  }

  #nextBuffer(what: string, minBytes: number): Uint8Array {
    const region = this.layout.buffers[this.#buffer++];
    if (!region) throw new Invalid(`${what}: the batch has fewer buffers than its schema needs`);
    const { offset, length } = region;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0)
      throw new Invalid(`${what}: buffer [${offset}, +${length}) is malformed`);
    if (offset + length > this.body.byteLength)
      throw new Invalid(`${what}: buffer [${offset}, +${length}) lies outside the ${this.body.byteLength}-byte body`);
    if (length < minBytes)
      throw new Invalid(`${what}: buffer of ${length} bytes is shorter than the ${minBytes} its length needs`);
    return this.body.subarray(offset, offset + length);
  }

  /** The validity bitmap, when the node has nulls (else the buffer may be empty and is not read). */
  #validity(node: { length: number; nullCount: number }, what: string): Uint8Array | undefined {
    const buffer = this.#nextBuffer(`${what} validity`, node.nullCount > 0 ? bytesFor(node.length) : 0);
    return node.nullCount > 0 ? buffer : undefined;
  }

  /** Checks `length + 1` offsets (32- or 64-bit): ascending from 0 or more, the last at most `limit`. */
  #offsets(length: number, wide: boolean, what: string): { buffer: Uint8Array; last: number } {
    const width = wide ? 8 : 4;
    const buffer = this.#nextBuffer(`${what} offsets`, length === 0 ? 0 : (length + 1) * width);
    if (length === 0) return { buffer, last: 0 };
    const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const at = (i: number): number => (wide ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true));
    let previous = at(0);
    if (previous < 0) throw new Invalid(`${what}: first offset ${previous} is negative`);
    for (let i = 1; i <= length; i++) {
      const next = at(i);
      if (next < previous) throw new Invalid(`${what}: offset ${i} (${next}) is below offset ${i - 1} (${previous})`);
      previous = next;
    }
    return { buffer, last: previous };
  }

  /** Checks one column of `type`; returns its length. */
  column(type: DataType, what: string): number {
    const node = this.#nextNode(what);
    const { length } = node;
    switch (typeName(type)) {
      case 'Null':
        return length;
      case 'Bool':
        this.#validity(node, what);
        this.#nextBuffer(`${what} values`, bytesFor(length));
        return length;
      case 'Utf8':
      case 'Binary':
      case 'LargeUtf8':
      case 'LargeBinary': {
        this.#validity(node, what);
        const wide = typeName(type).startsWith('Large');
        const { last } = this.#offsets(length, wide, what);
        this.#nextBuffer(`${what} data`, last);
        return length;
      }
      case 'Utf8View':
      case 'BinaryView':
        this.#validity(node, what);
        this.#views(length, what);
        return length;
      case 'List':
      case 'LargeList':
      case 'Map': {
        this.#validity(node, what);
        const { last } = this.#offsets(length, typeName(type) === 'LargeList', what);
        const child = this.#child(type, what);
        if (last > child) throw new Invalid(`${what}: offsets reach ${last}, the child holds ${child} values`);
        return length;
      }
      case 'FixedSizeList': {
        this.#validity(node, what);
        const { listSize } = type as FixedSizeList;
        if (!Number.isSafeInteger(listSize) || listSize < 0) throw new Invalid(`${what}: list size ${listSize}`);
        const child = this.#child(type, what);
        if (child < length * listSize)
          throw new Invalid(
            `${what}: ${length} lists of ${listSize} need ${length * listSize} child values, it holds ${child}`,
          );
        return length;
      }
      case 'Struct':
        this.#validity(node, what);
        for (const field of childrenOf(type)) {
          const child = this.column(field.type, `${what}.${field.name}`);
          if (child < length) throw new Invalid(`${what}.${field.name}: ${child} values for ${length} rows`);
        }
        return length;
      case 'Union':
        this.#union(type as Union, length, what);
        return length;
      case 'Dictionary':
        this.#dictionary(type as Dictionary, node, what);
        return length;
      default:
        this.#validity(node, what);
        this.#nextBuffer(`${what} values`, length * widthOf(type));
        return length;
    }
  }

  /** Checks the one child of a list type; returns its length. */
  #child(type: DataType, what: string): number {
    const child = childrenOf(type)[0];
    if (!child) throw new Invalid(`${what}: a ${typeName(type)} column without its child`);
    return this.column(child.type, `${what}.${child.name}`);
  }

  #views(length: number, what: string): void {
    const views = this.#nextBuffer(`${what} views`, length * 16);
    const count = this.layout.variadicBufferCounts[this.#variadic++] ?? 0;
    if (!Number.isSafeInteger(count) || count < 0 || count > this.layout.buffers.length)
      throw new Invalid(`${what}: ${count} data buffers declared`);
    const sizes = Array.from({ length: count }, (_, i) => this.#nextBuffer(`${what} data ${i}`, 0).byteLength);
    const view = new DataView(views.buffer, views.byteOffset, views.byteLength);
    for (let i = 0; i < length; i++) {
      const size = view.getInt32(i * 16, true);
      if (size < 0) throw new Invalid(`${what}: view ${i} has a negative length`);
      if (size <= 12) continue;
      const [index, offset] = [view.getInt32(i * 16 + 8, true), view.getInt32(i * 16 + 12, true)];
      if (index < 0 || index >= count || offset < 0 || offset + size > sizes[index]!)
        throw new Invalid(`${what}: view ${i} points outside its data buffers`);
    }
  }

  #union(type: Union, length: number, what: string): void {
    // arrow-js reads any mode but Sparse as dense: only the two real modes are accepted.
    if (type.mode !== UnionMode.Sparse && type.mode !== UnionMode.Dense)
      throw new Invalid(`${what}: union mode ${String(type.mode)}`);
    const typeIds = this.#nextBuffer(`${what} type ids`, length);
    const dense = type.mode === UnionMode.Dense;
    const offsets = dense ? this.#nextBuffer(`${what} offsets`, length * 4) : undefined;
    const childOf = new Map<number, number>();
    type.typeIds.forEach((id, index) => childOf.set(id, index));
    if (childOf.size !== type.children.length) throw new Invalid(`${what}: union type ids do not match its children`);
    const lengths = childrenOf(type).map((field) => this.column(field.type, `${what}.${field.name}`));
    const view = offsets && new DataView(offsets.buffer, offsets.byteOffset, offsets.byteLength);
    for (let i = 0; i < length; i++) {
      const child = childOf.get((typeIds[i]! << 24) >> 24);
      if (child === undefined) throw new Invalid(`${what}: row ${i} has an unknown type id ${typeIds[i]}`);
      // Sparse: row i is value i of its child; dense: the offset says which value.
      const at = view ? view.getInt32(i * 4, true) : i;
      if (at < 0 || at >= lengths[child]!)
        throw new Invalid(`${what}: row ${i} is value ${at} of a child holding ${lengths[child]}`);
    }
  }

  #dictionary(type: Dictionary, node: { length: number; nullCount: number }, what: string): void {
    // arrow-js sends no dictionary for a column without values: then no valid row may point into it.
    const size = this.dictionaryLengths.get(type.id) ?? 0;
    const validity = this.#validity(node, what);
    const width = widthOf(type.indices);
    const indices = this.#nextBuffer(`${what} indices`, node.length * width);
    const view = new DataView(indices.buffer, indices.byteOffset, indices.byteLength);
    const signed = type.indices.isSigned;
    for (let i = 0; i < node.length; i++) {
      if (!isValid(validity, i)) continue;
      const index =
        width === 8
          ? Number(signed ? view.getBigInt64(i * 8, true) : view.getBigUint64(i * 8, true))
          : width === 4
            ? signed
              ? view.getInt32(i * 4, true)
              : view.getUint32(i * 4, true)
            : width === 2
              ? signed
                ? view.getInt16(i * 2, true)
                : view.getUint16(i * 2, true)
              : signed
                ? view.getInt8(i)
                : view.getUint8(i);
      if (index < 0 || index >= size)
        throw new Invalid(
          `${what}: row ${i} has dictionary index ${index}, dictionary ${type.id} holds ${size} values`,
        );
    }
  }

  finish(): void {
    if (this.#node !== this.layout.nodes.length || this.#buffer !== this.layout.buffers.length)
      throw new Invalid(
        `the batch declares ${this.layout.nodes.length} nodes and ${this.layout.buffers.length} buffers, its schema uses ${this.#node} and ${this.#buffer}`,
      );
    if (this.#variadic < this.layout.variadicBufferCounts.length)
      throw new Invalid('the batch declares more variadic buffer counts than its view columns use');
  }
}

/**
 * Checks that a record batch's declared lengths are backed by its body for `fields`; returns a
 * problem string or undefined. `dictionaryLengths` gives the length of each dictionary sent so far.
 */
export function checkBatchLayout(
  fields: readonly Field<DataType>[],
  layout: BatchLayout,
  body: Uint8Array,
  dictionaryLengths: ReadonlyMap<number, number>,
): string | undefined {
  try {
    if (!Number.isSafeInteger(layout.length) || layout.length < 0 || layout.length > MAX_LENGTH)
      throw new Invalid(`row count ${layout.length} is out of range`);
    const checker = new LayoutChecker(layout, body, dictionaryLengths);
    for (const field of fields) {
      const length = checker.column(field.type, field.name);
      if (length !== layout.length)
        throw new Invalid(`column ${field.name} has ${length} values, the batch ${layout.length} rows`);
    }
    checker.finish();
    return undefined;
  } catch (error) {
    if (error instanceof Invalid) return error.message;
    throw error;
  }
}
