/**
 * Reading NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) as NumPy writes them: bool,
 * int8–int64, uint8–uint64, float16, float32 and float64, little- or big-endian, C or Fortran
 * order. Values are read on demand from the file's bytes (`at`), so a large input array is
 * converted once, straight into the float32 the model uses, without a float64 copy.
 *
 * Everything in a file is checked before a value is read: the magic string, the version, the
 * header (parsed as the Python literal it is, never evaluated), the dtype, the shape and that
 * the data is exactly as long as the shape says. Object arrays (pickles) are refused: loading
 * one can run code. Every problem is one DataError line naming the file.
 */
import { readDataFile } from './data-file.js';
import { DataError } from './dataset.js';
import { checkDatasetSize, formatCount, maxNpyFileBytes } from './limits.js';

export interface NpyArray {
  shape: number[];
  /** The NumPy dtype string as written in the file, e.g. `<f4`, `>i8`, `|b1`. */
  dtype: string;
  /** Whether the file stores the array in Fortran (column-major) order; `at` reads C order either way. */
  fortranOrder: boolean;
  /** Number of elements (the product of the shape). */
  size: number;
  /** Element `index` in C (row-major) order as a number; 64-bit integers beyond 2^53 are rounded. */
  at(index: number): number;
  /** Element `index` written exactly (64-bit integers in full), for error messages. */
  exact(index: number): string;
  /** Element `index` as NumPy indexes it: `[3, 2]`. */
  position(index: number): string;
  /** Every element in C order (computed on first use). */
  readonly values: Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** NumPy refuses headers above this (`max_header_size`, since 1.24): a crafted header cannot be made to cost much. */
const maxHeaderBytes = 10_000;

interface ElementType {
  bytes: number;
  read: (view: DataView, offset: number, littleEndian: boolean) => number;
  exact?: (view: DataView, offset: number, littleEndian: boolean) => string;
}

/** IEEE 754 half precision: DataView has no getFloat16 in Node 20. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Element types by kind and size: `i8` is int64, `f2` float16. */
const elementTypes: Record<string, ElementType> = {
  b1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o) },
  u1: { bytes: 1, read: (v, o) => v.getUint8(o) },
  i2: { bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  u2: { bytes: 2, read: (v, o, le) => v.getUint16(o, le) },
  i4: { bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  u4: { bytes: 4, read: (v, o, le) => v.getUint32(o, le) },
  i8: { bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)), exact: (v, o, le) => v.getBigInt64(o, le).toString() },
  u8: { bytes: 8, read: (v, o, le) => Number(v.getBigUint64(o, le)), exact: (v, o, le) => v.getBigUint64(o, le).toString() },
  f2: { bytes: 2, read: (v, o, le) => halfToNumber(v.getUint16(o, le)) },
  f4: { bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  f8: { bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
};

const supportedDtypes = 'bool, int8–int64, uint8–uint64, float16, float32, float64, either byte order';

const unsupportedKinds: Record<string, string> = {
  c: 'complex numbers',
  U: 'text',
  S: 'bytes',
  a: 'bytes',
  M: 'dates',
  m: 'time spans',
  V: 'raw or record data',
};

/** The Python literal a `.npy` header is: a dict of strings, booleans and a tuple of integers. */
type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  | { kind: 'int'; value: bigint }
  | { kind: 'tuple' | 'list'; items: Literal[] }
  | { kind: 'dict'; entries: [Literal, Literal][] };

class HeaderSyntaxError extends Error {}

/**
 * Parses the header's Python literal (what `ast.literal_eval` accepts of it), so a header is
 * read by its structure rather than matched by patterns that a repeated or quoted key could fool.
 */
function parseLiteral(text: string): Literal {
  let at = 0;
  const fail = (what: string): never => {
    throw new HeaderSyntaxError(`${what} at character ${at + 1}`);
  };
  const skipSpace = (): void => {
    while (at < text.length && /\s/.test(text[at])) at++;
  };
  const value = (depth: number): Literal => {
    if (depth > 16) fail('nested too deeply');
    skipSpace();
    const char = text[at];
    if (char === undefined) return fail('ends early');
    if (char === "'" || char === '"') {
      let result = '';
      at++;
      while (text[at] !== char) {
        if (at >= text.length) fail('a string is not closed');
        if (text[at] === '\\') at++;
        result += text[at];
        at++;
      }
      at++;
      return { kind: 'string', value: result };
    }
    if (char === '(' || char === '[' || char === '{') {
      const close = char === '(' ? ')' : char === '[' ? ']' : '}';
      at++;
      const items: Literal[] = [];
      const entries: [Literal, Literal][] = [];
      for (;;) {
        skipSpace();
        if (text[at] === close) break;
        const item = value(depth + 1);
        if (char === '{') {
          skipSpace();
          if (text[at] !== ':') fail("expected ':'");
          at++;
          entries.push([item, value(depth + 1)]);
        } else {
          items.push(item);
        }
        skipSpace();
        if (text[at] === ',') at++;
        else if (text[at] !== close) fail(`expected ',' or '${close}'`);
      }
      at++;
      if (char === '{') return { kind: 'dict', entries };
      return { kind: char === '(' ? 'tuple' : 'list', items };
    }
    const word = /^(True|False|None|-?\d+[lL]?)/.exec(text.slice(at, at + 40))?.[1];
    if (word === undefined) return fail(`unexpected ${JSON.stringify(char)}`);
    at += word.length;
    if (word === 'True' || word === 'False') return { kind: 'bool', value: word === 'True' };
    if (word === 'None') return { kind: 'none' };
    // Python 2's NumPy wrote long integers with an L suffix: (20L, 6L).
    return { kind: 'int', value: BigInt(word.replace(/[lL]$/, '')) };
  };
  const result = value(0);
  skipSpace();
  if (at < text.length) fail('unexpected text after the header');
  return result;
}

interface Header {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

function readHeader(text: string, label: string): Header {
  let literal: Literal;
  try {
    literal = parseLiteral(text);
  } catch (error) {
    if (!(error instanceof HeaderSyntaxError)) throw error;
    throw new DataError(`${label}: malformed .npy header (${error.message}): ${shortText(text)}`);
  }
  if (literal.kind !== 'dict') throw new DataError(`${label}: malformed .npy header (not a dict): ${shortText(text)}`);
  const fields = new Map<string, Literal>();
  for (const [key, value] of literal.entries) {
    if (key.kind !== 'string' || !['descr', 'fortran_order', 'shape'].includes(key.value)) {
      throw new DataError(`${label}: malformed .npy header (unexpected key ${key.kind === 'string' ? JSON.stringify(key.value) : key.kind}; NumPy writes descr, fortran_order and shape)`);
    }
    if (fields.has(key.value)) throw new DataError(`${label}: malformed .npy header (the key ${JSON.stringify(key.value)} appears twice)`);
    fields.set(key.value, value);
  }
  const descr = fields.get('descr');
  const fortran = fields.get('fortran_order');
  const shape = fields.get('shape');
  if (descr === undefined || fortran === undefined || shape === undefined) {
    const missing = ['descr', 'fortran_order', 'shape'].filter((key) => !fields.has(key));
    throw new DataError(`${label}: malformed .npy header (no ${missing.join(', ')}): ${shortText(text)}`);
  }
  if (descr.kind === 'list') throw new DataError(`${label}: a structured (record) dtype is not supported; save one numeric array (${supportedDtypes})`);
  if (descr.kind !== 'string') throw new DataError(`${label}: malformed .npy header (descr is not a string): ${shortText(text)}`);
  if (fortran.kind !== 'bool') throw new DataError(`${label}: malformed .npy header (fortran_order is not True or False): ${shortText(text)}`);
  if (shape.kind !== 'tuple' || shape.items.some((item) => item.kind !== 'int')) {
    throw new DataError(`${label}: malformed .npy header (shape is not a tuple of integers): ${shortText(text)}`);
  }
  const dims = shape.items.map((item) => (item as { kind: 'int'; value: bigint }).value);
  for (const dim of dims) {
    if (dim < 0n || dim > BigInt(Number.MAX_SAFE_INTEGER)) throw new DataError(`${label}: shape (${dims.join(', ')}) has the impossible size ${dim}`);
  }
  return { descr: descr.value, fortranOrder: fortran.value, shape: dims.map(Number) };
}

/** A header or value for an error line: one line, at most 80 characters. */
function shortText(text: string): string {
  const oneLine = JSON.stringify(text.trim());
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}…"` : oneLine;
}

function elementType(descr: string, label: string): { type: ElementType; littleEndian: boolean } {
  if (/^[<>|=]?O\d*$/.test(descr)) {
    throw new DataError(`${label}: dtype object (${descr}) holds Python objects stored as a pickle, which is not loaded: unpickling can run code; save a numeric array (${supportedDtypes})`);
  }
  const parsed = /^([<>|=]?)([a-zA-Z])(\d+)$/.exec(descr);
  if (parsed === null) {
    throw new DataError(`${label}: unsupported dtype ${shortText(descr)}; supported: ${supportedDtypes}`);
  }
  const [, order, kind, size] = parsed;
  const type = elementTypes[`${kind}${size}`];
  if (type === undefined) {
    const what = unsupportedKinds[kind];
    throw new DataError(`${label}: unsupported dtype ${descr}${what === undefined ? '' : ` (${what})`}; supported: ${supportedDtypes}`);
  }
  if (type.bytes > 1 && order !== '<' && order !== '>') {
    throw new DataError(`${label}: dtype ${descr} does not state its byte order (< little-endian or > big-endian), as NumPy always writes it`);
  }
  return { type, littleEndian: order !== '>' };
}

/** Reads and checks a `.npy` file; `label` names it in errors (default: the path). */
export function readNpy(path: string, label: string = path): NpyArray {
  return parseNpy(readDataFile(path, label, maxNpyFileBytes), label);
}

/** Checks and wraps the bytes of a `.npy` file; `label` names it in errors. */
export function parseNpy(bytes: Uint8Array, label: string): NpyArray {
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new DataError(`${label}: not a .npy file (it does not start with \\x93NUMPY${bytes.length === 0 ? '; the file is empty' : ''})`);
  }
  const major = bytes[6];
  const minor = bytes[7];
  if (![1, 2, 3].includes(major) || minor !== 0) throw new DataError(`${label}: unsupported .npy format version ${major}.${minor} (NumPy writes 1.0, 2.0 and 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) throw new DataError(`${label}: truncated .npy header (the file ends after ${bytes.length} bytes, before the header length)`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (headerLength > maxHeaderBytes) {
    throw new DataError(`${label}: the .npy header claims ${formatCount(headerLength)} bytes; NumPy reads at most ${formatCount(maxHeaderBytes)}, and so does this tool`);
  }
  if (headerStart + headerLength > bytes.length) {
    throw new DataError(`${label}: truncated .npy header (its ${headerLength} bytes would end at byte ${headerStart + headerLength}; the file ends at byte ${bytes.length})`);
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLength);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(headerBytes);
  } catch {
    throw new DataError(`${label}: malformed .npy header (not UTF-8 text)`);
  }
  const header = readHeader(text, label);
  const { type, littleEndian } = elementType(header.descr, label);
  const shape = header.shape;
  const shapeText = `[${shape.join(', ')}]`;
  // Checked before any multiplication can leave the safe integers: a zero anywhere makes it empty.
  let size = shape.includes(0) ? 0 : 1;
  for (const dim of shape) {
    if (size === 0) break;
    size *= dim;
    if (size > Number.MAX_SAFE_INTEGER / 8) break;
  }
  checkDatasetSize(label, `shape ${shapeText}`, size, 'save fewer samples or shorter sequences');
  const dataStart = headerStart + headerLength;
  const needed = size * type.bytes;
  const present = bytes.length - dataStart;
  if (present < needed) {
    throw new DataError(`${label}: truncated data: shape ${shapeText} of ${header.descr} needs ${needed} bytes, the file has ${present} after its header`);
  }
  if (present > needed) {
    throw new DataError(`${label}: ${present - needed} bytes after the data: shape ${shapeText} of ${header.descr} needs ${needed} bytes, the file has ${present} after its header (a shape that does not match the data)`);
  }
  return new NpyView(view, dataStart, type, littleEndian, header, size);
}

class NpyView implements NpyArray {
  readonly shape: number[];
  readonly dtype: string;
  readonly fortranOrder: boolean;
  readonly size: number;
  private readonly cStrides: number[];
  private readonly fortranStrides: number[];
  private cached: Float64Array | null = null;

  constructor(
    private readonly view: DataView,
    private readonly dataStart: number,
    private readonly type: ElementType,
    private readonly littleEndian: boolean,
    header: Header,
    size: number,
  ) {
    this.shape = header.shape;
    this.dtype = header.descr;
    this.fortranOrder = header.fortranOrder;
    this.size = size;
    this.cStrides = this.shape.map((_, k) => this.shape.slice(k + 1).reduce((a, b) => a * b, 1));
    this.fortranStrides = this.shape.map((_, k) => this.shape.slice(0, k).reduce((a, b) => a * b, 1));
  }

  /** Byte offset of C-order element `index` in the file. */
  private offset(index: number): number {
    if (!this.fortranOrder || this.shape.length < 2) return this.dataStart + index * this.type.bytes;
    let rest = index;
    let element = 0;
    for (let k = 0; k < this.shape.length; k++) {
      const coordinate = Math.floor(rest / this.cStrides[k]);
      rest -= coordinate * this.cStrides[k];
      element += coordinate * this.fortranStrides[k];
    }
    return this.dataStart + element * this.type.bytes;
  }

  at(index: number): number {
    return this.type.read(this.view, this.offset(index), this.littleEndian);
  }

  exact(index: number): string {
    if (this.type.exact !== undefined) return this.type.exact(this.view, this.offset(index), this.littleEndian);
    return String(this.at(index));
  }

  position(index: number): string {
    let rest = index;
    const coordinates = this.cStrides.map((stride) => {
      const coordinate = Math.floor(rest / stride);
      rest -= coordinate * stride;
      return coordinate;
    });
    return `[${coordinates.join(', ')}]`;
  }

  get values(): Float64Array {
    if (this.cached === null) {
      this.cached = new Float64Array(this.size);
      for (let i = 0; i < this.size; i++) this.cached[i] = this.at(i);
    }
    return this.cached;
  }
}
